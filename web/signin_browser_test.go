//go:build e2e

package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/classifly/classifly/internal/shared"
)

// TestBrowserSignIn: with auth on, the page signs in through the
// authorization-code flow with PKCE against a local OpenID Connect provider
// (standing in for Cognito's hosted UI), sends the access token to a real
// `classifly serve` that verifies it against the provider's JWKS, and
// classifies cat.bmp; without a token, with an expired one and with one
// signed by a stranger it says plainly that the person must sign in; sign-out
// forgets the token.
func TestBrowserSignIn(t *testing.T) {
	cat := shared.Image(t, "cat.bmp")
	idp := startOIDCProvider(t)
	api := startServer(t, "--jwks-url", idp.URL+"/.well-known/jwks.json", "--jwt-issuer", idp.URL, "--jwt-audience", idp.ClientID)

	// The site: config.js as Terraform writes it with enable_auth, the rest
	// from classifly serve (UI and API on one origin, as through CloudFront).
	target, _ := url.Parse(api)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, "window.CLASSIFLY_CONFIG = {apiBase: \"\", auth: {authority: %q, clientId: %q, scope: \"openid email\"}};\n", idp.URL, idp.ClientID)
	})
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	site := httptest.NewServer(mux)
	defer site.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = newBrowser(t, ctx)
	console := watchConsole(t, ctx)

	step(t, ctx, "open the page", chromedp.EmulateViewport(1200, 900), chromedp.Navigate(site.URL+"/"), chromedp.WaitVisible(chromedp.ID("sign-in")))
	if got := text(t, ctx, "#account-name"); got != "Sign in to classify pictures" {
		t.Errorf("signed out, the page says %q", got)
	}
	expectSignInError(t, ctx, cat, "not signed in", "Sign in at the top of the page")

	// Sign in: to the provider and back with a code, traded for tokens.
	step(t, ctx, "sign in", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("sign-out")))
	if got := text(t, ctx, "#account-name"); got != "Signed in as "+testUser {
		t.Errorf("signed in, the page says %q", got)
	}
	if search := evaluate[string](t, ctx, "location.search"); search != "" {
		t.Errorf("the address still carries %q after signing in", search)
	}
	stored := evaluate[[]any](t, ctx, `[sessionStorage.getItem("classifly.auth.pending"), localStorage.length, !!sessionStorage.getItem("classifly.auth")]`)
	if stored[0] != nil || stored[1] != float64(0) || stored[2] != true {
		t.Errorf("storage after sign-in (pending verifier, localStorage items, session token) = %v: want the token in sessionStorage only", stored)
	}
	step(t, ctx, "classify cat.bmp signed in",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{cat}),
		chromedp.WaitVisible(chromedp.CSS("#predictions li")),
	)
	if spoken := waitStatus(t, ctx); !strings.HasPrefix(spoken, "Egyptian cat, ") {
		t.Errorf("signed in, cat.bmp gives %q", spoken)
	}

	// Tokens the server refuses: expired by its clock (the page's still
	// says valid), and signed by a key not in the JWKS.
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, token string }{
		{"expired token", idp.accessToken(-time.Minute, idp.key)},
		{"token signed by another key", idp.accessToken(time.Hour, stranger)},
	} {
		step(t, ctx, "store the "+tc.name, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`sessionStorage.setItem("classifly.auth", JSON.stringify({access_token: %q, id_token: "", expires_at: Date.now() + 600000}))`, tc.token)))
		expectSignInError(t, ctx, cat, tc.name, "did not accept your sign-in")
	}
	// Expired by the page's own clock: not even sent.
	step(t, ctx, "store a lapsed session", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`sessionStorage.setItem("classifly.auth", JSON.stringify({access_token: %q, id_token: "", expires_at: Date.now() - 1000}))`, idp.accessToken(time.Hour, idp.key))))
	expectSignInError(t, ctx, cat, "lapsed session", "Your sign-in has expired")

	// Sign in again, then out: the token goes, the provider ends its session.
	step(t, ctx, "sign in again", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("sign-out")))
	step(t, ctx, "sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
	if has := evaluate[bool](t, ctx, `!!sessionStorage.getItem("classifly.auth")`); has {
		t.Error("the token is still stored after signing out")
	}
	idp.mu.Lock()
	tokens, logouts := idp.tokens, idp.logouts
	idp.mu.Unlock()
	if tokens != 2 || logouts != 1 {
		t.Errorf("the provider issued %d token sets and saw %d sign-outs, want 2 and 1", tokens, logouts)
	}
	idp.check(t)
	console.check(t)
}

// expectSignInError uploads a picture and expects the sign-in error: the
// 401 heading, a sentence for a person, the sign-in button back.
func expectSignInError(t *testing.T, ctx context.Context, picture, what, want string) {
	t.Helper()
	step(t, ctx, "upload "+what,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("error").hidden = true`),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{picture}),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	shown := text(t, ctx, "#error")
	if !strings.Contains(shown, "You need to sign in") || !strings.Contains(shown, want) || !regexp.MustCompile(`HTTP 401`).MatchString(shown) {
		t.Errorf("%s: the error says %q, want the sign-in heading, %q and HTTP 401", what, shown, want)
	}
	if !visible(t, ctx, "#sign-in") || visible(t, ctx, "#sign-out") {
		t.Errorf("%s: the page does not offer to sign in again", what)
	}
}
