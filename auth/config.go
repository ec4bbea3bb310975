package auth

import "net/http"

// Config turns on authentication when either field is set. A request
// passes with any one valid credential.
type Config struct {
	// APIKeyHashes are hex SHA-256 digests of the accepted API keys (see
	// HashAPIKey), sent as "Authorization: Bearer KEY" or "X-API-Key: KEY".
	APIKeyHashes []string
	JWT          *JWTConfig
}

// JWTConfig accepts RS256 JSON Web Tokens signed by a key of a JWKS, as
// Amazon Cognito issues them, sent as "Authorization: Bearer TOKEN".
type JWTConfig struct {
	JWKSURL string // e.g. https://cognito-idp.REGION.amazonaws.com/POOL/.well-known/jwks.json
	Issuer  string // required "iss"; "" accepts any
	// Audience, when set, must contain the token's "aud" or, for Cognito
	// access tokens that have none, its "client_id".
	Audience []string
	// Scope, when set, must be one of the token's space-separated "scope"
	// values; a valid token without it gets 403.
	Scope  string
	Client *http.Client // fetches the JWKS; nil means a client with a 5 s timeout
}

// Kind says why a request was refused; each maps to one status.
type Kind int

// Kinds of Error.
const (
	Unauthorized    Kind = iota // no or invalid credentials (401)
	Forbidden                   // valid credentials without the required scope (403)
	KeysUnavailable             // the JWKS cannot be fetched: not the client's fault (503)
)

// Error is a refused request. Its message is safe to show; Err, the cause,
// is for the log.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }
