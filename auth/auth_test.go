package auth

import (
	"errors"
	"net/http/httptest"
	"testing"
)

// TestAPIKeysAlone checks keys without a server or a model: the principal
// names a hash prefix, never the key; a stored hash is not a key.
func TestAPIKeysAlone(t *testing.T) {
	a, err := New(Config{APIKeyHashes: []string{HashAPIKey("k1")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		header, value string
		ok            bool
	}{
		{"X-API-Key", "k1", true},
		{"Authorization", "Bearer k1", true},
		{"Authorization", "Bearer " + HashAPIKey("k1"), false},
		{"X-API-Key", "k2", false},
		{"", "", false},
	} {
		r := httptest.NewRequest("POST", "/predict", nil)
		if c.header != "" {
			r.Header.Set(c.header, c.value)
		}
		p, err := a.Authenticate(r.Context(), r)
		var ae *Error
		switch {
		case c.ok && (err != nil || p == "" || p == "key:k1"):
			t.Errorf("%s %s: %q %v", c.header, c.value, p, err)
		case !c.ok && (!errors.As(err, &ae) || ae.Kind != Unauthorized):
			t.Errorf("%s %s: got %q %v, want Unauthorized", c.header, c.value, p, err)
		}
	}
	if a, err := New(Config{}); a != nil || err != nil {
		t.Errorf("empty config: %v %v", a, err)
	}
	if _, err := New(Config{JWT: &JWTConfig{JWKSURL: "file:///etc/passwd"}}); err == nil {
		t.Error("a non-http JWKS URL was accepted")
	}
}
