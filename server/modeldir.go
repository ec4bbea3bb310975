package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// manifestFile is the model archive's manifest (sagemaker.ManifestFile:
// server cannot import sagemaker, whose tests import server). The test
// writes an archive with the sagemaker package and reads it here, so the
// two stay in step.
const manifestFile = "manifest.json"

// ModelDir lists the models of a folder that holds an extracted model
// archive (SageMaker's /opt/ml/model) and names the default one. With the
// archive's manifest.json, the models are the manifest's, the default
// first, and the default is the manifest's — the model the Lambda proxy's
// /models names, whatever the file names sort to. Without a manifest, the
// .tflite files in name order and no default (Options.Default's rule).
func ModelDir(dir string) (files []string, def string, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		files, err = ModelFiles(dir)
		return files, "", err
	}
	if err != nil {
		return nil, "", err
	}
	// The fields of sagemaker.Manifest that say which files and which default.
	var m struct {
		Default string `json:"default"`
		Models  []struct {
			Name string `json:"name"`
			File string `json:"file"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, "", fmt.Errorf("%s: %w", manifestFile, err)
	}
	for _, mm := range m.Models {
		path := filepath.Join(dir, filepath.Base(mm.File))
		if mm.Name == m.Default {
			files = append([]string{path}, files...)
		} else {
			files = append(files, path)
		}
	}
	if len(files) == 0 || filepath.Base(files[0]) != m.Default+".tflite" {
		return nil, "", fmt.Errorf("%s: default model %q is not among its models", manifestFile, m.Default)
	}
	return files, m.Default, nil
}
