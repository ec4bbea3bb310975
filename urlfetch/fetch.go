package urlfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// Error reports an image_url that could not be used. Its message is
// safe to show: it never names the address a host resolved to.
type Error struct {
	Kind    Kind
	Message string
	Err     error // the cause, for the log
}

// Kind says why a fetch failed; each maps to one status.
type Kind int

// Kinds of Error.
const (
	Refused  Kind = iota // scheme, host or dialled address not allowed (422)
	Failed               // connection, TLS, HTTP status or redirect failure (502)
	Timeout              // slower than Config.Timeout (504)
	TooLarge             // more than Config.MaxBytes (413)
)

func (e *Error) Error() string {
	if e.Err != nil {
		return "image_url: " + e.Message + ": " + e.Err.Error()
	}
	return "image_url: " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// AllowHint ends the message of a refused address: the operator's way
// to reach a private image server on purpose (issue 12).
const AllowHint = "private, loopback and link-local addresses are refused; the server's operator can allow one with --fetch-allow (or CLASSIFLY_FETCH_ALLOW)"

func refusedAddress(err error) *Error {
	return &Error{Kind: Refused, Message: "the address is not allowed: " + AllowHint, Err: err}
}

// errAddressRefused is what the dial-time check returns; the fetch error
// carrying it names no address.
var errAddressRefused = errors.New("destination address refused")

// nat64 is the well-known NAT64 prefix (RFC 6052): 64:ff9b::a.b.c.d reaches
// IPv4 address a.b.c.d, so it is judged as that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Fetcher downloads image_url pictures without letting a client reach the
// server's own network: http and https only, and every address actually
// dialled — after DNS, on every redirect, on every new connection — is
// checked by the dialer's Control hook, so DNS rebinding and redirects to
// internal hosts are covered. The deny list is code.dny.dev/ssrf's, built
// from the IANA special-purpose registries (loopback, private, link-local,
// CGNAT, multicast, unspecified, documentation, 6to4, IPv6 outside global
// unicast); IPv4-mapped and NAT64 addresses are judged as the IPv4 address
// they carry.
type Fetcher struct {
	cfg        Config
	client     *http.Client
	guard      *ssrf.Guardian
	allowHosts map[string]bool
	allowNets  []netip.Prefix
}

// New returns a Fetcher; zero fields of cfg take the defaults.
func New(cfg Config) (*Fetcher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	hosts, nets, err := parseAllow(cfg.Allow)
	if err != nil {
		return nil, err
	}
	f := &Fetcher{cfg: cfg, guard: ssrf.New(ssrf.WithAnyPort()), allowHosts: hosts, allowNets: nets}
	transport := &http.Transport{
		Proxy:                  nil, // an environment proxy would be dialled instead of the checked address
		DialContext:            f.dial,
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	f.client = &http.Client{Transport: transport, CheckRedirect: f.checkRedirect}
	return f, nil
}

// MaxBytes is the largest picture Fetch returns.
func (f *Fetcher) MaxBytes() int64 { return f.cfg.MaxBytes }

// dial connects with the address check in Control, which runs after DNS
// resolution and before connect(2), for each address tried.
func (f *Fetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: f.cfg.DialTimeout, Control: f.control}
	if host, _, err := net.SplitHostPort(addr); err == nil && f.allowHosts[strings.ToLower(host)] {
		d.Control = nil // an operator-trusted host
	}
	return d.DialContext(ctx, network, addr)
}

func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", errAddressRefused, err)
	}
	return f.checkAddr(ap.Addr())
}

// checkAddr allows a on the allowlist, else refuses what the ssrf deny list
// refuses.
func (f *Fetcher) checkAddr(a netip.Addr) error {
	a = a.WithZone("")
	if a.Is4In6() {
		a = a.Unmap()
	} else if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, p := range f.allowNets {
		if p.Contains(a) {
			return nil
		}
	}
	if err := f.guard.SafeAddr(a); err != nil {
		return fmt.Errorf("%w: %v", errAddressRefused, err)
	}
	return nil
}

// checkURL refuses, before any connection, what no dial may fix: another
// scheme, credentials, a missing host, an IP literal on the deny list, and
// numeric host forms that resolvers read differently (127.1, 0x7f.1,
// 2130706433, 0177.0.0.1).
func (f *Fetcher) checkURL(u *url.URL) error {
	refuse := func(msg string) error { return &Error{Kind: Refused, Message: msg} }
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return refuse("only http and https URLs are fetched")
	case u.User != nil:
		return refuse("URLs with credentials are not fetched")
	case u.Hostname() == "":
		return refuse("the URL has no host")
	}
	host := strings.ToLower(u.Hostname())
	if f.allowHosts[host] {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := f.checkAddr(a); err != nil {
			return refusedAddress(err)
		}
		return nil
	}
	if numericHost(host) {
		return refuse("numeric host names must be dotted-quad IPv4 or bracketed IPv6")
	}
	return nil
}

// numericHost reports a host made only of digits, dots and hex notation:
// an IPv4 address in a form that netip does not take but inet_aton does.
func numericHost(h string) bool {
	h = strings.TrimSuffix(h, ".")
	for _, label := range strings.Split(h, ".") {
		l := strings.TrimPrefix(label, "0x")
		if l == "" {
			return label == "0x"
		}
		for _, c := range l {
			isDigit := c >= '0' && c <= '9'
			isHex := label != l && (c >= 'a' && c <= 'f')
			if !isDigit && !isHex {
				return false
			}
		}
	}
	return true
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.cfg.MaxRedirects {
		return &Error{Kind: Failed, Message: fmt.Sprintf("more than %d redirects", f.cfg.MaxRedirects)}
	}
	return f.checkURL(req.URL)
}

// Fetch downloads rawURL within the size and time limits. The response's
// Content-Type is ignored: the image decoder sniffs the bytes.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	if f.cfg.Disabled {
		return nil, &Error{Kind: Refused, Message: "fetching URLs is disabled on this server; send the image instead"}
	}
	u, err := url.Parse(rawURL)
	if err != nil || len(rawURL) > 8192 {
		return nil, &Error{Kind: Refused, Message: "not a valid URL"}
	}
	if err := f.checkURL(u); err != nil {
		return nil, err
	}
	fctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Kind: Refused, Message: "not a valid URL", Err: err}
	}
	req.Header.Set("Accept", "image/*")
	req.Header.Set("User-Agent", "classifly")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, f.failure(ctx, fctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Kind: Failed, Message: "the server answered " + resp.Status}
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		return nil, f.tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	if err != nil {
		return nil, f.failure(ctx, fctx, err)
	}
	if int64(len(data)) > f.cfg.MaxBytes {
		return nil, f.tooLarge()
	}
	return data, nil
}

func (f *Fetcher) tooLarge() error {
	return &Error{Kind: TooLarge, Message: fmt.Sprintf("the image is larger than the limit of %d bytes", f.cfg.MaxBytes)}
}

// failure classifies a transport error. The request's own deadline is not
// the fetch's: it stays a context error for toError.
func (f *Fetcher) failure(ctx, fctx context.Context, err error) error {
	var fe *Error
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.Is(err, errAddressRefused):
		return refusedAddress(err)
	case ctx.Err() != nil:
		return ctx.Err()
	case fctx.Err() != nil || isTimeout(err):
		return &Error{Kind: Timeout, Message: fmt.Sprintf("no complete answer within %v", f.cfg.Timeout), Err: err}
	}
	return &Error{Kind: Failed, Message: "the image could not be fetched", Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
