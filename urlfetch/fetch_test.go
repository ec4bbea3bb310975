package urlfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// TestCheckAddr covers the address judgement on its own, public addresses
// included (which the tests never dial).
func TestCheckAddr(t *testing.T) {
	f, err := New(Config{Allow: []string{"10.1.0.0/16", "images.internal"}})
	if err != nil {
		t.Fatal(err)
	}
	for addr, ok := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "::ffff:8.8.8.8": true, "64:ff9b::808:808": true,
		"10.1.2.3": true, // allowlisted prefix
		"10.2.0.1": false, "127.0.0.1": false, "::1": false, "::ffff:10.2.0.1": false, "64:ff9b::a02:1": false,
		"169.254.169.254": false, "fd00:ec2::254": false, "100.64.0.1": false, "0.0.0.0": false, "::": false,
		"224.0.0.251": false, "ff05::2": false, "2001:db8::1": false, "198.18.0.1": false,
	} {
		err := f.checkAddr(netip.MustParseAddr(addr))
		if (err == nil) != ok {
			t.Errorf("%s: allowed=%v, want %v (%v)", addr, err == nil, ok, err)
		}
		if err != nil && !errors.Is(err, errAddressRefused) {
			t.Errorf("%s: error %v is not errAddressRefused", addr, err)
		}
	}
	if !f.allowHosts["images.internal"] {
		t.Error("host allowlist entry lost")
	}
	for host, numeric := range map[string]bool{
		"127.1": true, "2130706433": true, "0x7f000001": true, "0177.0.0.1": true, "1.2.3.4.": true,
		"example.com": false, "123.example": false, "0xfeed.com": false, "cafe": false,
	} {
		if numericHost(host) != numeric {
			t.Errorf("numericHost(%q) = %v", host, !numeric)
		}
	}
}

// TestFetchDeadlineIsTheRequests: when the request deadline passes during
// a fetch, the error is the request's deadline, not a fetch timeout.
func TestFetchDeadlineIsTheRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	f, err := New(Config{Allow: []string{"127.0.0.1"}, Timeout: 10 * time.Second, MaxBytes: 1 << 20, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = f.Fetch(ctx, srv.URL+"/slow")
	var fe *Error
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &fe) {
		t.Errorf("got %v, want the request's context.DeadlineExceeded", err)
	}
}
