//go:build e2e

package container

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// builds holds the test binaries of cmd/classifly, built once per test run
// each: the container's (EndpointTag) and the full CLI that packages it.
var builds = struct {
	sync.Mutex
	paths map[string]string
}{paths: map[string]string{}}

func buildClassifly(t *testing.T, tags ...string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	key := strings.Join(tags, ",")
	if p, ok := builds.paths[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "classifly-image-test")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "classifly")
	root, _ := filepath.Abs("..")
	if err := BuildBinary(context.Background(), Binary{Package: "./cmd/classifly", Dir: root, GOARCH: "amd64",
		Tags: tags, Out: p, KeepPaths: true, Stderr: os.Stderr}); err != nil {
		t.Fatal(err)
	}
	builds.paths[key] = p
	return p
}

// endpointBinary is the container's binary, linux/amd64.
func endpointBinary(t *testing.T) string { return buildClassifly(t, EndpointTag) }

// cliBinary is the full classifly CLI, linux/amd64.
func cliBinary(t *testing.T) string { return buildClassifly(t) }

var (
	imgOnce  sync.Once
	builtImg v1.Image
	imgErr   error
)

// testImage is the container image of endpointBinary, built once.
func testImage(t *testing.T) v1.Image {
	t.Helper()
	bin := endpointBinary(t)
	imgOnce.Do(func() {
		if builtImg, imgErr = Image(bin); imgErr == nil {
			_, imgErr = CompressedSize(builtImg) // compress once, now
		}
	})
	if imgErr != nil {
		t.Fatal(imgErr)
	}
	return builtImg
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range builds.paths {
		os.RemoveAll(filepath.Dir(p))
	}
	os.Exit(code)
}

// TestContainerImage checks what SageMaker needs of the image: Docker v2
// schema 2 media types (it refuses OCI), linux/amd64, the exec-form
// entrypoint that takes the appended `serve`, and a small size.
func TestContainerImage(t *testing.T) {
	img := testImage(t)
	if err := CheckSchema2(img); err != nil {
		t.Error(err)
	}
	mt, _ := img.MediaType()
	m, _ := img.Manifest()
	if mt != types.DockerManifestSchema2 || m.SchemaVersion != 2 || len(m.Layers) != 1 {
		t.Errorf("manifest %s, schema %d, %d layers", mt, m.SchemaVersion, len(m.Layers))
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cfg.OS, cfg.Architecture)
	}
	if !slices.Equal(cfg.Config.Entrypoint, []string{"/usr/local/bin/classifly", "serve", "--role", "endpoint", "--offline", "--no-fetch"}) ||
		len(cfg.Config.Cmd) != 0 || cfg.Config.User != "" {
		t.Errorf("entrypoint %q, cmd %q, user %q", cfg.Config.Entrypoint, cfg.Config.Cmd, cfg.Config.User)
	}
	if _, ok := cfg.Config.ExposedPorts["8080/tcp"]; !ok || cfg.Config.Labels["com.amazonaws.sagemaker.capabilities.accept-bind-to-port"] != "true" {
		t.Errorf("ports %v, labels %v", cfg.Config.ExposedPorts, cfg.Config.Labels)
	}

	size, err := CompressedSize(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("container image: %.2f MB compressed (limit 25 MB)", float64(size)/(1<<20))
	if size > 25<<20 {
		t.Errorf("image is %d bytes compressed, over 25 MB", size)
	}

	// Reproducible: the same binary gives the same digest.
	again, _ := Image(endpointBinary(t))
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds differ: %s, %s", d1, d2)
	}

	files := layerFiles(t, img)
	if h := files["usr/local/bin/classifly"]; h == nil || h.Mode != 0o755 || h.Uid != 0 {
		t.Errorf("binary entry %+v: want mode 0755, root-owned, runnable by anyone", h)
	}
	if h := files["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp entry %+v, want mode 1777", h)
	}
	if len(files) != 5 {
		t.Errorf("layer has %d entries, want 5 (4 folders and the binary)", len(files))
	}
}

// layerFiles lists the headers of the image's only layer.
func layerFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	layers, _ := img.Layers()
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

// TestTarball: the docker-save tarball reads back as the same image, with
// the Docker media types and the tag.
func TestTarball(t *testing.T) {
	img := testImage(t)
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := WriteTarball(path, "classifly:test", img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			json.NewDecoder(tr).Decode(&manifest)
		}
	}
	if len(manifest) != 1 || !slices.Equal(manifest[0].RepoTags, []string{"classifly:test"}) || len(manifest[0].Layers) != 1 {
		t.Fatalf("manifest.json %+v", manifest)
	}
	checkTarball(t, path, img)
}

// checkTarball reads the image tarball at path back: it must be Docker
// schema 2 and have want's digest.
func checkTarball(t *testing.T, path string, want v1.Image) {
	t.Helper()
	back, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSchema2(back); err != nil {
		t.Error(err)
	}
	d1, _ := want.Digest()
	d2, _ := back.Digest()
	if d1 != d2 {
		t.Errorf("tarball %s holds image %s, want %s", filepath.Base(path), d2, d1)
	}
}

func requireAMD64(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		t.Fatalf("running the linux/amd64 image binary needs a linux/amd64 machine, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
}
