package api

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/classifly/classifly/auth"
	"github.com/classifly/classifly/urlfetch"
)

// EnvPrefix starts the environment variable of every setting: --max-body-bytes
// is also CLASSIFLY_MAX_BODY_BYTES.
const EnvPrefix = "CLASSIFLY_"

// EnvName is the environment variable of the setting flag. Repeatable
// settings take a comma-separated list, under a plural name.
func EnvName(flag string) string {
	if plural, ok := pluralEnv[flag]; ok {
		flag = plural
	}
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

var pluralEnv = map[string]string{"api-key-hash": "api-key-hashes", "cors-origin": "cors-origins", "jwt-audience": "jwt-audiences"}

// ConfigFromEnv is the configuration that the environment gives: each
// setting of Flags read from its variable (EnvName), the defaults for the
// rest. Both entry points start from it: `classifly serve`, whose flags then
// override it, and the Lambda function, which has only its environment.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Limits: Limits{
		MaxBodyBytes: DefaultMaxBodyBytes, MaxPixels: DefaultMaxPixels, MaxPixelsJPEG: DefaultMaxPixelsJPEG, MaxTopK: DefaultMaxTopK,
		RequestTimeout: DefaultRequestTimeout, MaxQueue: DefaultMaxQueue, QueueTimeout: DefaultQueueTimeout,
		MaxInFlight: DefaultMaxInFlight, MaxUploads: DefaultMaxUploads, MinUploadRate: DefaultMinUploadRate,
		UploadGrace: DefaultUploadGrace,
	}, Fetch: urlfetch.Config{MaxBytes: urlfetch.DefaultMaxBytes, Timeout: urlfetch.DefaultTimeout,
		MaxRedirects: urlfetch.DefaultMaxRedirects}}
	fs := flag.NewFlagSet("environment", flag.ContinueOnError)
	c.Flags(fs)
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(f.Name)
		if v := getenv(name); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return c, err
}

// Flags registers the settings of c on fs, with c's values as defaults.
// The flags write into c, which must therefore stay where it is until fs
// is parsed.
func (c *Config) Flags(fs *flag.FlagSet) {
	l := &c.Limits
	fs.Int64Var(&l.MaxBodyBytes, "max-body-bytes", l.MaxBodyBytes, "largest request body (413 beyond)")
	fs.Int64Var(&l.MaxPixels, "max-pixels", l.MaxPixels, "largest image, width×height from its header, checked before decoding (413 beyond); JPEGs with resize fast: --max-pixels-jpeg")
	fs.Int64Var(&l.MaxPixelsJPEG, "max-pixels-jpeg", l.MaxPixelsJPEG, "largest JPEG with resize fast, decoded at a reduced scale in memory that follows the model input (413 beyond)")
	fs.IntVar(&l.MaxTopK, "max-top-k", l.MaxTopK, "largest top_k (422 beyond)")
	fs.DurationVar(&l.RequestTimeout, "request-timeout", l.RequestTimeout, "deadline of one request, fetch and queue included (504 beyond)")
	fs.IntVar(&l.MaxConcurrent, "concurrency", l.MaxConcurrent, "classifications at once (default: GOMAXPROCS; proxy: 64)")
	fs.IntVar(&l.MaxQueue, "queue", l.MaxQueue, "requests waiting for a classification slot; -1 for none (503 beyond)")
	fs.DurationVar(&l.QueueTimeout, "queue-timeout", l.QueueTimeout, "longest wait in the queue (503 beyond)")
	fs.IntVar(&l.MaxInFlight, "max-in-flight", l.MaxInFlight, "/predict requests past their upload: fetching, queued or running (503 beyond)")
	fs.IntVar(&l.MaxUploads, "max-uploads", l.MaxUploads, "request bodies being received at once (503 beyond)")
	fs.Int64Var(&l.MinUploadRate, "min-upload-rate", l.MinUploadRate, "bytes per second a body must average after the grace period (408 below)")
	fs.DurationVar(&l.UploadGrace, "upload-grace", l.UploadGrace, "time a body may take before the minimum rate applies")
	fs.Var((*byteSize)(&l.MemoryBudget), "memory-budget", "memory for requests' bodies and decoding, a `SIZE` such as 512MiB; also sets GOMEMLIMIT "+
		"(default: from the cgroup's memory.max, else GOMEMLIMIT, else half the machine's memory; 503 when full, 413 for what never fits)")

	f := &c.Fetch
	fs.BoolVar(&f.Disabled, "no-fetch", f.Disabled, "refuse image_url")
	fs.Int64Var(&f.MaxBytes, "fetch-max-bytes", f.MaxBytes, "largest image fetched from image_url (413 beyond)")
	fs.DurationVar(&f.Timeout, "fetch-timeout", f.Timeout, "image_url fetch deadline, redirects included (504 beyond)")
	fs.IntVar(&f.MaxRedirects, "fetch-max-redirects", f.MaxRedirects, "redirects followed by an image_url fetch; -1 for none")
	fs.Var((*list)(&f.Allow), "fetch-allow", "host name or CIDR that image_url may reach despite the private-address checks; repeatable")

	fs.Var((*list)(&c.CORS.AllowedOrigins), "cors-origin", "origin allowed to call the API from a browser (\"*\" for any); repeatable")
	fs.Var((*list)(&c.Auth.APIKeyHashes), "api-key-hash", "hex SHA-256 of an accepted API key (printf %s KEY | sha256sum); repeatable")
	jwt := func(set func(j *auth.JWTConfig, v string)) func(string) error {
		return func(v string) error {
			if c.Auth.JWT == nil {
				c.Auth.JWT = &auth.JWTConfig{}
			}
			set(c.Auth.JWT, v)
			return nil
		}
	}
	fs.Func("jwks-url", "accept RS256 JWTs signed by this JWKS (e.g. Cognito's .well-known/jwks.json)",
		jwt(func(j *auth.JWTConfig, v string) { j.JWKSURL = v }))
	fs.Func("jwt-audience", "accepted JWT aud or client_id; repeatable",
		jwt(func(j *auth.JWTConfig, v string) { j.Audience = append(j.Audience, splitList(v)...) }))
	fs.Func("jwt-issuer", "required JWT iss", jwt(func(j *auth.JWTConfig, v string) { j.Issuer = v }))
	fs.Func("jwt-scope", "JWT scope required on /predict (403 without)", jwt(func(j *auth.JWTConfig, v string) { j.Scope = v }))

	rl := &c.RateLimit
	fs.Float64Var(&rl.PerSecond, "rate-limit", rl.PerSecond, "requests per second per client on /predict; 0 for none (429 beyond)")
	fs.IntVar(&rl.Burst, "rate-burst", rl.Burst, "rate-limit bucket size (default: the rate, at least 1)")
	fs.StringVar(&rl.ClientIPHeader, "client-ip-header", rl.ClientIPHeader, "header a trusted proxy sets to the client address, for the rate limit")
}

// list is a repeatable flag; each value may also be a comma-separated
// list, as environment variables give them.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, splitList(v)...); return nil }

// splitList splits on commas and white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// SplitModels splits a comma-separated list of models, names or .tflite
// paths, as --model and CLASSIFLY_MODELS take them. Unlike the settings'
// lists it keeps spaces within an item: a path may hold them.
func SplitModels(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// byteSize is a flag of bytes with an optional binary or decimal unit:
// 536870912, 512MiB, 600MB, 1GiB.
type byteSize int64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(v string) error {
	n, err := ParseBytes(v)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// ParseBytes reads a byte count with an optional unit (B, KB, MB, GB, KiB,
// MiB, GiB; case-insensitive).
func ParseBytes(s string) (int64, error) {
	num := strings.TrimRight(strings.TrimSpace(s), "bBiIkKmMgGtT")
	unit := strings.ToLower(strings.TrimSpace(s)[len(num):])
	mult := map[string]int64{"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "tb": 1e12}[unit]
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || mult == 0 || f < 0 {
		return 0, fmt.Errorf("%q is not a byte size (e.g. 512MiB)", s)
	}
	return int64(f * float64(mult)), nil
}
