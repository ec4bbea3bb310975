package urlfetch

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Defaults of Config (docs/architecture.md, "Limits and safety").
const (
	DefaultMaxBytes     = 10 << 20
	DefaultTimeout      = 5 * time.Second
	DefaultDialTimeout  = 3 * time.Second
	DefaultMaxRedirects = 3
)

// Config is the fetcher's. Zero means the default.
type Config struct {
	Disabled     bool          // refuse every URL (422)
	MaxBytes     int64         // response body cap, enforced while streaming; over it 413
	Timeout      time.Duration // whole fetch, redirects included; past it 504
	DialTimeout  time.Duration // one TCP connect
	MaxRedirects int           // each re-checked; a negative value allows none
	// Allow exempts destinations from the address checks: host names
	// ("images.internal", matched exactly, case-insensitively) and CIDR
	// prefixes ("10.1.0.0/16", "127.0.0.1/32"). The scheme, size and time
	// limits still apply.
	Allow []string
}

func (c Config) withDefaults() (Config, error) {
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	switch {
	case c.MaxRedirects == 0:
		c.MaxRedirects = DefaultMaxRedirects
	case c.MaxRedirects < 0:
		c.MaxRedirects = 0
	}
	if c.MaxBytes < 0 || c.Timeout < 0 || c.DialTimeout < 0 {
		return c, fmt.Errorf("urlfetch: negative limit in %+v", c)
	}
	return c, nil
}

// parseAllow splits Config.Allow into host names and prefixes.
func parseAllow(entries []string) (hosts map[string]bool, prefixes []netip.Prefix, err error) {
	hosts = map[string]bool{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, nil, fmt.Errorf("fetch allowlist entry %q: %w", e, err)
			}
			prefixes = append(prefixes, p.Masked())
		default:
			if a, err := netip.ParseAddr(e); err == nil {
				prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
			} else {
				hosts[strings.ToLower(e)] = true
			}
		}
	}
	return hosts, prefixes, nil
}
