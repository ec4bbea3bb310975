package server_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/sagemaker"
	"github.com/classifly/classifly/server"
)

// TestModelDirArchiveDefault: an endpoint serving an extracted model
// archive with two models answers a request that names no model with the
// archive's default, although the other model is the usual default and
// sorts first by file name (the container used to pick by name).
func TestModelDirArchiveDefault(t *testing.T) {
	labels := shared.Model(t, "imagenet_labels.txt")
	var archive bytes.Buffer
	// "tiny" sorts after the usual default: only the manifest can make it
	// the default. (On a bare clone both are the one embedded model's file.)
	if _, err := sagemaker.WriteModelArchive(&archive, []sagemaker.ArchiveModel{
		{Name: "tiny", Path: shared.Model(t, smallModel+".tflite"), LabelsPath: labels},
		{Name: registry.DefaultModel, Path: shared.Model(t, registry.DefaultModel+".tflite"), LabelsPath: labels},
	}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := sagemaker.ExtractModelArchive(&archive, dir, 64<<20); err != nil {
		t.Fatal(err)
	}

	files, def, err := server.ModelDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if def != "tiny" || len(files) != 2 || filepath.Base(files[0]) != "tiny.tflite" {
		t.Fatalf("ModelDir = %v, %q; want tiny.tflite first and default tiny", files, def)
	}
	r := start(t, server.Options{Role: server.RoleEndpoint, Models: files, Default: def,
		Resolver: &registry.Resolver{ModelDir: dir, Offline: true}})
	for _, path := range []string{"/invocations", "/predict"} {
		code, res, _ := postImage(t, http.DefaultClient, r.URL+path, image(t, "cat.bmp"), "image/bmp")
		if code != http.StatusOK || res.Model != "tiny" {
			t.Errorf("%s without a model: %d, model %q; want 200 from the archive's default tiny", path, code, res.Model)
		}
	}

	// Without a manifest: the files in name order, no default of its own.
	if err := os.Remove(filepath.Join(dir, sagemaker.ManifestFile)); err != nil {
		t.Fatal(err)
	}
	if files, def, err = server.ModelDir(dir); err != nil || def != "" || len(files) != 2 || filepath.Base(files[0]) != registry.DefaultModel+".tflite" {
		t.Errorf("without a manifest: %v, %q, %v", files, def, err)
	}

	// A manifest whose default is not among its models is an error.
	bad := `{"format":1,"default":"gone","models":[{"name":"tiny","file":"tiny.tflite"}]}`
	if err := os.WriteFile(filepath.Join(dir, sagemaker.ManifestFile), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.ModelDir(dir); err == nil {
		t.Error("a manifest naming a missing default was accepted")
	}
}
