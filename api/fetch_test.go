package api

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/classifly/classifly/urlfetch"
	"github.com/classifly/classifly/wire"
)

// countingServer is a loopback server that counts the requests it gets:
// a refused fetch must not reach it at all.
func countingServer(t *testing.T, network, addr string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	cat := image(t, "cat.bmp")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(cat)
	}))
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestSSRFLiteralAddresses: loopback, private, link-local, CGNAT,
// multicast, unspecified, IPv4-mapped, IPv4-compatible, NAT64 and 6to4
// forms, and the numeric notations inet_aton accepts, are all refused with
// 422 and never dialled — a loopback server on the same port counts zero.
func TestSSRFLiteralAddresses(t *testing.T) {
	srv, hits := countingServer(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	hosts := []string{
		"127.0.0.1", "127.0.0.2", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1",
		"017700000001", "0", "0.0.0.0", "[::]", "[::1]", "[0:0:0:0:0:0:0:1]",
		"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::127.0.0.1]", "[64:ff9b::a9fe:a9fe]",
		"[2002:7f00:1::]", "[fe80::1]", "[fe80::1%25lo]", "[fc00::1]", "[fd12:3456::1]", "[ff02::1]",
		"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "[::ffff:169.254.169.254]",
		"100.64.0.1", "100.127.255.254", "224.0.0.1", "239.255.255.250", "255.255.255.255", "192.0.0.170",
	}
	h, _ := newHandler(t, localBackend(t), Config{})
	for _, host := range hosts {
		a := serve(t, h, postJSON(map[string]any{"image_url": "http://" + host + ":" + port + "/cat.bmp"}))
		if a.status != 422 || a.err.Error.Code != wire.CodeURLNotAllowed {
			t.Errorf("%s: got %d %s", host, a.status, a.raw)
		}
		if strings.Contains(a.err.Error.Message, "127.0.0") {
			t.Errorf("%s: the message names an address: %s", host, a.raw)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}

// TestSSRFHostnameResolvingToLoopback: "localhost" passes the URL checks
// and is caught at dial time, after DNS.
func TestSSRFHostnameResolvingToLoopback(t *testing.T) {
	srv, hits := countingServer(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	h, logs := newHandler(t, localBackend(t), Config{})
	a := serve(t, h, postJSON(map[string]any{"image_url": "http://localhost:" + port + "/cat.bmp"}))
	if a.status != 422 || a.err.Error.Code != wire.CodeURLNotAllowed {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	if hits.Load() != 0 {
		t.Error("the loopback server was reached")
	}
	if !strings.Contains(logs.String(), "prohibited IP address") {
		t.Errorf("the log does not say which check refused:\n%s", logs)
	}
}

// TestSSRFRedirects: an allowlisted server may redirect (up to the limit,
// each hop re-checked), but not to a loopback or private address that is
// not allowlisted — neither as a literal (refused before dialling) nor as
// a host name resolving to one (refused at dial time) — even with a live
// server there.
func TestSSRFRedirects(t *testing.T) {
	private, hits := countingServer(t, "tcp4", "127.0.0.1:0")
	_, privatePort, _ := net.SplitHostPort(private.Listener.Addr().String())
	cat := image(t, "cat.bmp")
	allowed, _ := countingServer(t, "tcp4", "127.0.0.3:0")
	allowed.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/cat.bmp":
			w.Write(cat)
		case strings.HasPrefix(p, "/hops/"):
			var n int
			fmt.Sscanf(p, "/hops/%d", &n)
			target := "/cat.bmp"
			if n > 1 {
				target = fmt.Sprintf("/hops/%d", n-1)
			}
			http.Redirect(w, r, target, http.StatusFound)
		case p == "/to-literal":
			http.Redirect(w, r, private.URL+"/cat.bmp", http.StatusFound)
		case p == "/to-mapped":
			http.Redirect(w, r, "http://[::ffff:127.0.0.1]:"+privatePort+"/cat.bmp", http.StatusSeeOther)
		case p == "/to-localhost":
			http.Redirect(w, r, "http://localhost:"+privatePort+"/cat.bmp", http.StatusMovedPermanently)
		case p == "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
		case p == "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		}
	})
	h, _ := newHandler(t, localBackend(t), Config{Fetch: urlfetch.Config{Allow: []string{"127.0.0.3/32"}}})
	for _, c := range []struct {
		path   string
		status int
		code   wire.Code
	}{
		{"/hops/3", 200, ""},
		{"/hops/4", 502, wire.CodeFetchFailed},
		{"/to-literal", 422, wire.CodeURLNotAllowed},
		{"/to-mapped", 422, wire.CodeURLNotAllowed},
		{"/to-localhost", 422, wire.CodeURLNotAllowed},
		{"/to-metadata", 422, wire.CodeURLNotAllowed},
		{"/to-file", 422, wire.CodeURLNotAllowed},
	} {
		a := serve(t, h, postJSON(map[string]any{"image_url": allowed.URL + c.path}))
		if a.status != c.status || a.err.Error.Code != c.code {
			t.Errorf("%s: got %d %s, want %d %s", c.path, a.status, a.raw, c.status, c.code)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the private server was reached %d times", n)
	}
}
