package sagemaker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/server"
)

func archiveModels(t *testing.T) []ArchiveModel {
	dir := shared.ModelDir(t)
	return []ArchiveModel{
		{Name: catModel, Path: filepath.Join(dir, catModel+".tflite"), LabelsPath: filepath.Join(dir, "imagenet_labels.txt")},
		{Name: "mobilenet_v1_0.25_128_quant", Path: filepath.Join(dir, "mobilenet_v1_0.25_128_quant.tflite"),
			LabelsPath: filepath.Join(dir, "imagenet_labels.txt")},
	}
}

// TestModelArchiveServes: the archive, extracted as SageMaker does, is
// what the endpoint role loads: every .tflite, labels found beside it.
func TestModelArchiveServes(t *testing.T) {
	shared.Full(t) // several models
	var a, b bytes.Buffer
	m, err := WriteModelArchive(&a, archiveModels(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteModelArchive(&b, archiveModels(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two archives of the same models differ: not reproducible")
	}
	if m.Default != catModel || len(m.Models) != 2 ||
		m.Models[0].SHA256 != "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776" ||
		m.Models[0].Labels != "imagenet_labels.txt" {
		t.Errorf("manifest %+v", m)
	}

	dir := t.TempDir()
	got, err := ExtractModelArchive(bytes.NewReader(a.Bytes()), dir, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got.Models[1].Name != "mobilenet_v1_0.25_128_quant" {
		t.Errorf("extracted manifest %+v", got)
	}
	files, err := server.ModelFiles(dir)
	if err != nil || len(files) != 2 {
		t.Fatalf("model files %v, %v", files, err)
	}
	c, res, err := loader.Load(context.Background(), &registry.Resolver{Offline: true}, filepath.Join(dir, catModel+".tflite"), "", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.LabelsPath != filepath.Join(dir, "imagenet_labels.txt") || len(c.Labels()) != 1001 {
		t.Errorf("labels %q (%d)", res.LabelsPath, len(c.Labels()))
	}
}

func TestModelArchiveRefusesBadEntries(t *testing.T) {
	for _, name := range []string{"../escape", "/abs", "sub/dir", ".hidden"} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
		tw.Write([]byte("x"))
		tw.Close()
		zw.Close()
		if _, err := ExtractModelArchive(&buf, t.TempDir(), 1<<20); err == nil {
			t.Errorf("entry %q accepted", name)
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "link", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink})
	tw.Close()
	zw.Close()
	if _, err := ExtractModelArchive(&buf, t.TempDir(), 1<<20); err == nil || !strings.Contains(err.Error(), "unexpected entry") {
		t.Errorf("symlink: %v", err)
	}
	if _, err := WriteModelArchive(&bytes.Buffer{}, nil); err == nil {
		t.Error("empty archive written")
	}
}
