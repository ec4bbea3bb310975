//go:build e2e

package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// oidcProvider stands in for Cognito's hosted UI, which a test cannot
// reach: a small OAuth 2.0 / OpenID Connect server on loopback with the
// same paths — /oauth2/authorize (signs the one test user in at once and
// redirects back with a code), /oauth2/token (trades the code and the PKCE
// verifier for RS256 tokens, answering cross-origin as Cognito does),
// /.well-known/jwks.json and /logout. It checks what a public client must
// send and records every violation in problems.
type oidcProvider struct {
	URL      string
	ClientID string
	key      *rsa.PrivateKey

	problems syncList[string]

	mu      sync.Mutex
	codes   map[string]authRequest // issued, not yet redeemed
	tokens  int                    // tokens issued
	logouts int
}

type authRequest struct{ challenge, redirectURI string }

const testUser = "ana@example.com"

func startOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &oidcProvider{ClientID: "classifly-web", key: key, codes: map[string]authRequest{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", p.jwks)
	mux.HandleFunc("GET /oauth2/authorize", p.authorize)
	mux.HandleFunc("/oauth2/token", p.token)
	mux.HandleFunc("GET /logout", p.logout)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *oidcProvider) problem(format string, args ...any) {
	p.problems.add(fmt.Sprintf(format, args...))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *oidcProvider) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "test", "use": "sig", "alg": "RS256",
		"n": b64(p.key.N.Bytes()), "e": b64(big.NewInt(int64(p.key.E)).Bytes()),
	}}})
}

func (p *oidcProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for name, want := range map[string]string{"response_type": "code", "client_id": p.ClientID, "code_challenge_method": "S256"} {
		if q.Get(name) != want {
			p.problem("authorize: %s=%q, want %q", name, q.Get(name), want)
		}
	}
	if len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
		p.problem("authorize: code_challenge %q and state %q: want a S256 challenge and a state", q.Get("code_challenge"), q.Get("state"))
	}
	code := b64(randomBytes(16))
	p.mu.Lock()
	p.codes[code] = authRequest{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || back.Host == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *oidcProvider) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	if r.PostForm.Has("client_secret") || r.Header.Get("Authorization") != "" {
		p.problem("token: the page sent a client secret or credentials: it must be a public client")
	}
	p.mu.Lock()
	req, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // one use
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != p.ClientID:
		p.problem("token: grant_type %q, client_id %q", r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"))
	case !ok:
		p.problem("token: unknown or reused code")
	case b64(sum[:]) != req.challenge:
		p.problem("token: the code_verifier does not match the code_challenge")
	case r.PostForm.Get("redirect_uri") != req.redirectURI:
		p.problem("token: redirect_uri %q differs from the authorize request's %q", r.PostForm.Get("redirect_uri"), req.redirectURI)
	default:
		p.mu.Lock()
		p.tokens++
		p.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": p.accessToken(time.Hour, p.key), "id_token": p.idToken(), "token_type": "Bearer", "expires_in": 3600,
		})
		return
	}
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprint(w, `{"error":"invalid_grant"}`)
}

func (p *oidcProvider) logout(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("client_id") != p.ClientID {
		p.problem("logout: client_id %q", r.URL.Query().Get("client_id"))
	}
	p.mu.Lock()
	p.logouts++
	p.mu.Unlock()
	http.Redirect(w, r, r.URL.Query().Get("logout_uri"), http.StatusFound)
}

// accessToken is a Cognito-style access token (client_id, no aud), valid
// for life from now (negative: already expired), signed with key.
func (p *oidcProvider) accessToken(life time.Duration, key *rsa.PrivateKey) string {
	now := time.Now()
	return p.sign(jwt.MapClaims{"iss": p.URL, "sub": "user-1", "client_id": p.ClientID, "token_use": "access",
		"scope": "openid email", "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(life).Unix()}, key)
}

func (p *oidcProvider) idToken() string {
	now := time.Now()
	return p.sign(jwt.MapClaims{"iss": p.URL, "sub": "user-1", "aud": p.ClientID, "token_use": "id",
		"email": testUser, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}, p.key)
}

func (p *oidcProvider) sign(claims jwt.MapClaims, key *rsa.PrivateKey) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "test"
	s, err := tok.SignedString(key)
	if err != nil {
		panic(err) // a fresh RSA key always signs
	}
	return s
}

func (p *oidcProvider) check(t *testing.T) {
	t.Helper()
	for _, pr := range p.problems.all() {
		t.Errorf("sign-in provider: %s", pr)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
