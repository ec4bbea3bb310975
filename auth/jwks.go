package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/classifly/classifly/internal/httpx"
)

// jwks caches the RSA keys of a JSON Web Key Set (RFC 7517). It refetches
// when the cache is an hour old or a token names an unknown kid (keys
// rotate), at most once per refetchGap, so that tokens with made-up kids
// cannot turn the server into a JWKS flood.
type jwks struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time // last successful fetch
	tried   time.Time // last attempt
}

const (
	jwksMaxAge     = time.Hour
	jwksRefetchGap = 30 * time.Second
	jwksMaxBytes   = 1 << 20
)

// jwksUnavailableError means no key set could be had at all.
type jwksUnavailableError struct{ err error }

func (e *jwksUnavailableError) Error() string { return "JWKS unavailable: " + e.err.Error() }
func (e *jwksUnavailableError) Unwrap() error { return e.err }

func newJWKS(url string, client *http.Client) *jwks {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	return &jwks{url: url, client: client}
}

// key returns the key named kid.
func (j *jwks) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	k, ok := j.keys[kid]
	stale := time.Since(j.fetched) > jwksMaxAge
	if ok && !stale {
		return k, nil
	}
	if j.keys == nil || time.Since(j.tried) >= jwksRefetchGap {
		j.tried = time.Now()
		keys, err := j.fetch(ctx)
		switch {
		case err == nil:
			j.keys, j.fetched = keys, time.Now()
		case j.keys == nil:
			return nil, &jwksUnavailableError{err}
		}
		// On failure keep serving the keys we had: an outage of the key
		// server should not log everyone out.
	}
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("no key with kid %q in the JWKS", kid)
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (j *jwks) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := httpx.GetJSON(ctx, j.client, j.url, jwksMaxBytes, &set); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pub, err := rsaKey(k)
		if err != nil {
			continue // one odd key must not break the others
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("the JWKS has no RS256 signing key")
	}
	return keys, nil
}

// rsaKey decodes the modulus and exponent (RFC 7518 §6.3.1, base64url
// big-endian unsigned integers).
func rsaKey(k jwk) (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, err
	}
	if len(n) < 256 || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("RSA key smaller than 2048 bits or odd exponent")
	}
	exp := new(big.Int).SetBytes(e)
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
}
