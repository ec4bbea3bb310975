package api

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/classifly/classifly/auth"
	"github.com/classifly/classifly/ratelimit"
	"github.com/classifly/classifly/wire"
)

func TestAPIKeys(t *testing.T) {
	cat := image(t, "cat.bmp")
	h, logs := newHandler(t, localBackend(t), Config{Auth: auth.Config{APIKeyHashes: []string{auth.HashAPIKey("other-key"), auth.HashAPIKey("s3cret-key")}}})
	req := func(header, value string) answer {
		r := post("image/bmp", bytes.NewReader(cat), "")
		if header != "" {
			r.Header.Set(header, value)
		}
		return serve(t, h, r)
	}
	for _, c := range []struct {
		header, value string
		status        int
	}{
		{"", "", 401},
		{"Authorization", "Bearer s3cret-key", 200},
		{"Authorization", "bearer s3cret-key", 200},
		{"X-API-Key", "s3cret-key", 200},
		{"X-API-Key", "other-key", 200},
		{"Authorization", "Bearer s3cret-kez", 401},
		{"Authorization", "Basic czNjcmV0LWtleQ==", 401},
		{"X-API-Key", auth.HashAPIKey("s3cret-key"), 401}, // the stored hash is not a key
	} {
		a := req(c.header, c.value)
		if a.status != c.status {
			t.Errorf("%s: %s: got %d %s", c.header, c.value, a.status, a.raw)
		}
		if c.status == 401 && (a.err.Error.Code != wire.CodeUnauthorized || a.header.Get("WWW-Authenticate") == "") {
			t.Errorf("%s: %s: 401 without code or WWW-Authenticate: %v %s", c.header, c.value, a.header, a.raw)
		}
	}
	// Probes and the model list stay open.
	for _, path := range []string{"/healthz", "/readyz", "/models", "/metrics", "/openapi.json"} {
		if a := serve(t, h, httptest.NewRequest("GET", path, nil)); a.status != 200 {
			t.Errorf("%s with auth on: %d", path, a.status)
		}
	}
	if bytes.Contains([]byte(logs.String()), []byte("s3cret")) {
		t.Error("a key reached the log")
	}
	if _, err := New(localBackend(t), Config{Auth: auth.Config{APIKeyHashes: []string{"s3cret-key"}}}); err == nil {
		t.Error("a plain key was accepted as a hash")
	}
}

// jwksServer serves the public half of key as a JWKS and counts fetches.
func jwksServer(t *testing.T, kid string, key *rsa.PublicKey) (*httptest.Server, *atomic.Int64) {
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		enc := base64.RawURLEncoding
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{
			{"kty": "EC", "kid": "ignored", "crv": "P-256"},
			{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": enc.EncodeToString(key.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(key.E)).Bytes())},
		}})
	}))
	t.Cleanup(srv.Close)
	return srv, &fetches
}

// TestJWT checks RS256 tokens against a JWKS on a loopback server, the
// Cognito way: issuer, audience or client_id, scope, expiry.
func TestJWT(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
	srv, fetches := jwksServer(t, "k1", &key.PublicKey)
	h, _ := newHandler(t, localBackend(t), Config{Auth: auth.Config{JWT: &auth.JWTConfig{
		JWKSURL: srv.URL, Issuer: iss, Audience: []string{"app-client"}, Scope: "classifly/predict",
	}}})
	now := time.Now()
	sign := func(method jwt.SigningMethod, signKey any, kid string, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(signKey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := func(extra map[string]any) jwt.MapClaims {
		c := jwt.MapClaims{"iss": iss, "sub": "user-1", "client_id": "app-client", "token_use": "access",
			"scope": "openid classifly/predict", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	cat := image(t, "cat.bmp")
	for _, c := range []struct {
		name   string
		token  string
		status int
	}{
		{"access token", sign(jwt.SigningMethodRS256, key, "k1", good(nil)), 200},
		{"id token with aud", sign(jwt.SigningMethodRS256, key, "k1", good(map[string]any{"client_id": nil, "aud": "app-client"})), 200},
		{"expired", sign(jwt.SigningMethodRS256, key, "k1", good(map[string]any{"exp": now.Add(-time.Minute).Unix()})), 401},
		{"no exp", sign(jwt.SigningMethodRS256, key, "k1", good(map[string]any{"exp": nil})), 401},
		{"not yet valid", sign(jwt.SigningMethodRS256, key, "k1", good(map[string]any{"nbf": now.Add(time.Hour).Unix()})), 401},
		{"wrong issuer", sign(jwt.SigningMethodRS256, key, "k1", good(map[string]any{"iss": "https://evil.example"})), 401},
		{"wrong audience", sign(jwt.SigningMethodRS256, key, "k1", good(map[string]any{"client_id": "other-app"})), 401},
		{"other key", sign(jwt.SigningMethodRS256, other, "k1", good(nil)), 401},
		{"unknown kid", sign(jwt.SigningMethodRS256, key, "k9", good(nil)), 401},
		{"HS256 (alg confusion)", sign(jwt.SigningMethodHS256, []byte("k1"), "k1", good(nil)), 401},
		{"missing scope", sign(jwt.SigningMethodRS256, key, "k1", good(map[string]any{"scope": "openid"})), 403},
		{"garbage", "a.b.c", 401},
	} {
		r := post("image/bmp", bytes.NewReader(cat), "")
		r.Header.Set("Authorization", "Bearer "+c.token)
		a := serve(t, h, r)
		if a.status != c.status {
			t.Errorf("%s: got %d %s", c.name, a.status, a.raw)
		}
	}
	// One fetch, plus at most one more for the unknown kid.
	if n := fetches.Load(); n < 1 || n > 2 {
		t.Errorf("JWKS fetched %d times", n)
	}
}

// TestJWKSUnavailable: no key set at all is the server's problem (503),
// not the client's.
func TestJWKSUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	h, _ := newHandler(t, localBackend(t), Config{Auth: auth.Config{JWT: &auth.JWTConfig{JWKSURL: srv.URL}}})
	r := post("image/bmp", bytes.NewReader(image(t, "cat.bmp")), "")
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}).SignedString(key)
	r.Header.Set("Authorization", "Bearer "+tok)
	if a := serve(t, h, r); a.status != 503 || a.err.Error.Code != wire.CodeBackendUnavailable {
		t.Errorf("got %d %s", a.status, a.raw)
	}
}

// TestRateLimit counts requests, not successes: the bodies here are not
// images (415), which keeps the test fast and proves the limit comes first.
func TestRateLimit(t *testing.T) {
	h, _ := newHandler(t, localBackend(t), Config{RateLimit: ratelimit.Config{PerSecond: 0.01, Burst: 2}})
	from := func(addr string) answer {
		r := post("text/plain", strings.NewReader("x"), "")
		r.RemoteAddr = addr
		return serve(t, h, r)
	}
	for i, want := range []int{415, 415, 429} {
		if a := from("192.0.2.1:1234"); a.status != want {
			t.Fatalf("request %d: got %d %s", i, a.status, a.raw)
		} else if want == 429 && (a.err.Error.Code != wire.CodeRateLimited || a.header.Get("Retry-After") != "100") {
			t.Errorf("429 without code or Retry-After 100: %v %s", a.header, a.raw)
		}
	}
	if a := from("192.0.2.2:1234"); a.status != 415 {
		t.Errorf("another client: %d", a.status)
	}
	if a := from("192.0.2.1:9999"); a.status != 429 {
		t.Errorf("same client, other port: %d", a.status)
	}
}
