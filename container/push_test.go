//go:build e2e

package container

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// fakeECRAPI emulates ECR's GetAuthorizationToken (AWS JSON 1.1
// protocol), the one ECR call that `classifly image push` makes.
func fakeECRAPI(t *testing.T, password string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"authorizationData": []map[string]any{{
			"authorizationToken": base64.StdEncoding.EncodeToString([]byte("AWS:" + password)),
			"expiresAt":          float64(time.Now().Add(12 * time.Hour).Unix()),
			"proxyEndpoint":      "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
		}}})
	}))
}

// TestPushWithECRTokenToLocalRegistry: the ECR credentials flow
// (GetAuthorizationToken → basic auth) and the push, against an emulated
// ECR API and a real registry implementation that demands the password;
// what lands is a Docker schema 2 manifest.
func TestPushWithECRTokenToLocalRegistry(t *testing.T) {
	const password = "eyJwYXlsb2FkIjoiZmFrZSJ9"
	ecrAPI := fakeECRAPI(t, password)
	defer ecrAPI.Close()
	reg := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "AWS" || pass != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()

	t.Setenv("AWS_ENDPOINT_URL_ECR", ecrAPI.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	repo := strings.TrimPrefix(srv.URL, "http://") + "/classifly"
	ctx := context.Background()
	auth, err := ECRAuth(ctx, repo, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	img := testImage(t)
	ref, err := Push(ctx, img, repo, "v1", auth)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	if ref != fmt.Sprintf("%s@%s", repo, digest) {
		t.Errorf("pushed %s, want %s@%s", ref, repo, digest)
	}
	for _, r := range []string{ref, repo + ":v1"} {
		parsed, _ := name.ParseReference(r)
		desc, err := remote.Get(parsed, remote.WithAuth(auth))
		if err != nil {
			t.Fatal(err)
		}
		if desc.MediaType != types.DockerManifestSchema2 || desc.Digest != digest {
			t.Errorf("%s: registry holds %s %s", r, desc.MediaType, desc.Digest)
		}
	}
	if _, err := ECRAuth(ctx, repo, ""); err == nil {
		t.Error("a non-ECR host without a region was accepted")
	}
}
