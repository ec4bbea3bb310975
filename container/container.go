package container

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are in the container image.
const (
	BinaryPath = "/usr/local/bin/classifly"
	// Port is where the server listens unless SageMaker sets
	// SAGEMAKER_BIND_TO_PORT.
	Port = 8080
)

// Entrypoint is the image's exec-form entrypoint. SageMaker runs the image
// with the argument `serve`, which the command accepts after its flags.
// --offline: the container only serves what SageMaker extracted into
// /opt/ml/model and never downloads. --no-fetch: it never fetches an
// image_url either (the proxy in front fetches and sends the bytes), so a
// direct InvokeEndpoint cannot make the endpoint spend time and traffic.
var Entrypoint = []string{BinaryPath, "serve", "--role", "endpoint", "--offline", "--no-fetch"}

// epoch is every timestamp in the image (reproducible builds).
var epoch = time.Unix(0, 0).UTC()

// Image assembles the SageMaker model image from a linux/amd64
// classifly binary: one layer on an empty base, Docker v2 schema 2 media
// types throughout (empty.Image is Docker schema 2; tarball layers default
// to the Docker gzip layer type; nothing here switches to OCI).
func Image(binaryPath string) (v1.Image, error) {
	bin, err := os.ReadFile(binaryPath)
	if err != nil {
		return nil, err
	}
	layerTar, err := rootFS(bin)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: epoch}, CreatedBy: "classifly image build", Comment: "static classifly binary",
	}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS = "amd64", "linux"
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config = v1.Config{
		Entrypoint:   Entrypoint,
		Env:          []string{"PATH=/usr/local/bin"},
		ExposedPorts: map[string]struct{}{fmt.Sprintf("%d/tcp", Port): {}},
		WorkingDir:   "/",
		StopSignal:   "SIGTERM",
		Labels: map[string]string{
			"org.opencontainers.image.title":       "classifly",
			"org.opencontainers.image.description": "Classifly model endpoint (SageMaker container contract)",
			// SageMaker may then choose the port (inference pipelines).
			"com.amazonaws.sagemaker.capabilities.accept-bind-to-port": "true",
		},
	}
	return mutate.ConfigFile(img, cfg)
}

// rootFS is the layer: the binary, world-readable and executable so that
// any user can run it, and a world-writable /tmp; nothing else is needed
// (no libc, no shell, no certificates: the endpoint makes no outbound
// calls).
func rootFS(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := []struct {
		name string
		mode int64
	}{{"tmp/", 0o1777}, {"usr/", 0o755}, {"usr/local/", 0o755}, {"usr/local/bin/", 0o755}}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: BinaryPath[1:], Mode: 0o755, Size: int64(len(bin)), ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CheckSchema2 returns an error unless the image and all its parts use
// Docker v2 schema 2 media types, which SageMaker requires.
func CheckSchema2(img v1.Image) error {
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	if mt != types.DockerManifestSchema2 {
		return fmt.Errorf("container: manifest media type %s, want %s", mt, types.DockerManifestSchema2)
	}
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	if m.Config.MediaType != types.DockerConfigJSON {
		return fmt.Errorf("container: config media type %s, want %s", m.Config.MediaType, types.DockerConfigJSON)
	}
	for i, l := range m.Layers {
		if l.MediaType != types.DockerLayer {
			return fmt.Errorf("container: layer %d media type %s, want %s", i, l.MediaType, types.DockerLayer)
		}
	}
	return nil
}

// CompressedSize is what a registry stores: manifest, config and the
// compressed layers.
func CompressedSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	total := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}

// WriteTarball writes img as a `docker save` tarball (loadable with
// `docker load`), tagged ref.
func WriteTarball(path, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	if err := CheckSchema2(img); err != nil {
		return err
	}
	return tarball.WriteToFile(path, tag, img)
}

// Push uploads img as repo:tag (repo like
// 123456789012.dkr.ecr.eu-west-1.amazonaws.com/classifly) and returns the
// digest reference repo@sha256:…, which is what a SageMaker model should
// name.
func Push(ctx context.Context, img v1.Image, repo, tag string, auth authn.Authenticator) (string, error) {
	if err := CheckSchema2(img); err != nil {
		return "", err
	}
	ref, err := name.NewTag(repo + ":" + tag)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithAuth(auth), remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("container: pushing %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	return ref.Context().Digest(digest.String()).String(), nil
}
