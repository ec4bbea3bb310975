package api

import (
	"flag"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestConfigFromEnv: every setting has a variable, the Lambda's JWT, CORS
// and rate-limit ones included, and a bad value names its variable.
func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"CLASSIFLY_MAX_BODY_BYTES":   "2000000",
		"CLASSIFLY_REQUEST_TIMEOUT":  "7s",
		"CLASSIFLY_MEMORY_BUDGET":    "512MiB",
		"CLASSIFLY_MIN_UPLOAD_RATE":  "1000",
		"CLASSIFLY_FETCH_ALLOW":      "10.0.0.0/8, images.internal",
		"CLASSIFLY_CORS_ORIGINS":     "https://a.example,https://b.example",
		"CLASSIFLY_API_KEY_HASHES":   hashOfK,
		"CLASSIFLY_JWKS_URL":         "https://idp.example/jwks.json",
		"CLASSIFLY_JWT_AUDIENCES":    "app1,app2",
		"CLASSIFLY_RATE_LIMIT":       "2.5",
		"CLASSIFLY_CLIENT_IP_HEADER": "X-Real-IP",
	}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.MaxBodyBytes != 2000000 || l.RequestTimeout != 7*time.Second || l.MemoryBudget != 512<<20 || l.MinUploadRate != 1000 ||
		l.MaxPixels != DefaultMaxPixels || len(c.Fetch.Allow) != 2 || len(c.CORS.AllowedOrigins) != 2 ||
		len(c.Auth.APIKeyHashes) != 1 || c.Auth.JWT == nil || c.Auth.JWT.JWKSURL != "https://idp.example/jwks.json" ||
		len(c.Auth.JWT.Audience) != 2 || c.RateLimit.PerSecond != 2.5 || c.RateLimit.ClientIPHeader != "X-Real-IP" {
		t.Errorf("config %+v", c)
	}
	if _, err := New(fastStub(), c); err != nil {
		t.Errorf("the environment's config is refused: %v", err)
	}
	_, err = ConfigFromEnv(func(k string) string {
		if k == "CLASSIFLY_QUEUE_TIMEOUT" {
			return "soon"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "CLASSIFLY_QUEUE_TIMEOUT") {
		t.Errorf("bad variable: %v", err)
	}
	// Every flag has its variable in the README's scheme.
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Flags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if n := EnvName(f.Name); !strings.HasPrefix(n, "CLASSIFLY_") || strings.Contains(n, "-") {
			t.Errorf("%s → %s", f.Name, n)
		}
	})
}

// hashOfK is the SHA-256 of "k".
const hashOfK = "8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a"

// TestBudgetInMetrics: /metrics shows the budget and what is reserved.
func TestBudgetInMetrics(t *testing.T) {
	h, _ := newHandler(t, fastStub(), Config{Limits: Limits{MemoryBudget: 80 << 20}})
	a := serve(t, h, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{"classifly_memory_budget_bytes 1.6777216e+07", "classifly_memory_reserved_bytes 0",
		"classifly_uploads_in_progress 0"} {
		if !strings.Contains(string(a.raw), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, b := range []string{"1GiB", "600MB", "1.5g", "42"} {
		if n, err := ParseBytes(b); err != nil || n <= 0 {
			t.Errorf("ParseBytes(%q) = %d, %v", b, n, err)
		}
	}
	if _, err := ParseBytes("lots"); err == nil {
		t.Error("ParseBytes took lots")
	}
}
