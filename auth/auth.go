package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// HashAPIKey returns the form in which Config.APIKeyHashes stores a
// key: hex SHA-256 (the same as `printf %s KEY | sha256sum`). API keys are
// long random strings, so a fast hash suffices; the server never holds the
// keys themselves.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Authenticator checks API keys and JWTs. It is safe for concurrent use.
type Authenticator struct {
	keys [][]byte // SHA-256 digests
	jwt  *jwtVerifier
}

// New returns the Authenticator for cfg, or nil when cfg turns
// authentication off.
func New(cfg Config) (*Authenticator, error) {
	if len(cfg.APIKeyHashes) == 0 && cfg.JWT == nil {
		return nil, nil
	}
	if j := cfg.JWT; j != nil && !strings.HasPrefix(j.JWKSURL, "https://") && !strings.HasPrefix(j.JWKSURL, "http://") {
		return nil, fmt.Errorf("auth: JWKS URL %q is not http(s)", j.JWKSURL)
	}
	a := &Authenticator{}
	for _, h := range cfg.APIKeyHashes {
		d, err := hex.DecodeString(strings.TrimSpace(h))
		if err != nil || len(d) != sha256.Size {
			return nil, fmt.Errorf("auth: API key hash %.12q… is not a hex SHA-256 digest", h)
		}
		a.keys = append(a.keys, d)
	}
	if cfg.JWT != nil {
		a.jwt = newJWTVerifier(*cfg.JWT)
	}
	return a, nil
}

var (
	errNoCredentials  = &Error{Kind: Unauthorized, Message: "credentials required: Authorization: Bearer TOKEN or X-API-Key: KEY"}
	errBadCredentials = &Error{Kind: Unauthorized, Message: "invalid credentials"}
)

// Authenticate returns the principal ("key:<hash prefix>" or "sub:<subject>")
// or an error for the client.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (string, error) {
	key := r.Header.Get("X-API-Key")
	bearer, hasBearer := bearerToken(r)
	switch {
	case key != "":
		return a.checkKey(key)
	case !hasBearer:
		return "", errNoCredentials
	case a.jwt != nil && strings.Count(bearer, ".") == 2:
		return a.jwt.verify(ctx, bearer)
	}
	return a.checkKey(bearer)
}

// checkKey compares the key's digest with every stored digest in constant
// time, not stopping at a match, so timing says nothing about which
// matched or how much of a digest did.
func (a *Authenticator) checkKey(key string) (string, error) {
	sum := sha256.Sum256([]byte(key))
	found := 0
	for _, d := range a.keys {
		found |= subtle.ConstantTimeCompare(sum[:], d)
	}
	if found != 1 {
		return "", errBadCredentials
	}
	return "key:" + hex.EncodeToString(sum[:4]), nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// cognitoClaims are the registered claims plus Cognito's access-token ones.
type cognitoClaims struct {
	jwt.RegisteredClaims
	ClientID string `json:"client_id,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

type jwtVerifier struct {
	cfg  JWTConfig
	keys *jwks
}

func newJWTVerifier(cfg JWTConfig) *jwtVerifier {
	return &jwtVerifier{cfg: cfg, keys: newJWKS(cfg.JWKSURL, cfg.Client)}
}

// verify checks an RS256 token: signature by a JWKS key named by its kid,
// exp required, nbf and iat honoured, then issuer, audience and scope.
func (v *jwtVerifier) verify(ctx context.Context, token string) (string, error) {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt()}
	if v.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.cfg.Issuer))
	}
	var keyErr error
	var claims cognitoClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := v.keys.key(ctx, kid)
		if err != nil {
			keyErr = err
		}
		return k, err
	}, opts...)
	var unavailable *jwksUnavailableError
	switch {
	case errors.As(keyErr, &unavailable):
		return "", &Error{Kind: KeysUnavailable, Message: "the token signing keys cannot be fetched", Err: keyErr}
	case err != nil:
		return "", &Error{Kind: Unauthorized, Message: "invalid token", Err: err}
	}
	if len(v.cfg.Audience) > 0 && !slices.ContainsFunc(v.cfg.Audience, func(a string) bool {
		return slices.Contains(claims.Audience, a) || (claims.ClientID != "" && claims.ClientID == a)
	}) {
		return "", &Error{Kind: Unauthorized, Message: "invalid token: wrong audience"}
	}
	if v.cfg.Scope != "" && !slices.Contains(strings.Fields(claims.Scope), v.cfg.Scope) {
		return "", &Error{Kind: Forbidden, Message: "the token lacks the scope " + v.cfg.Scope}
	}
	sub := claims.Subject
	if sub == "" {
		sub = claims.ClientID
	}
	return "sub:" + sub, nil
}
