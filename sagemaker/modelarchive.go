package sagemaker

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ManifestFile is the name of the manifest inside model.tar.gz.
const ManifestFile = "manifest.json"

// ArchiveModel is one model to put in a model archive.
type ArchiveModel struct {
	Name       string // model name; the file is stored as Name + ".tflite"
	Path       string // the .tflite file
	LabelsPath string // its label file, stored under its own base name; "" for none
}

// Manifest describes a model archive: what `classifly serve --role
// endpoint` will find in /opt/ml/model.
type Manifest struct {
	Format  int             `json:"format"`  // 1
	Default string          `json:"default"` // the first model
	Models  []ManifestModel `json:"models"`
}

// ManifestModel is one model of a Manifest.
type ManifestModel struct {
	Name         string `json:"name"`
	File         string `json:"file"`
	Bytes        int64  `json:"bytes"`
	SHA256       string `json:"sha256"`
	Labels       string `json:"labels,omitempty"`
	LabelsSHA256 string `json:"labels_sha256,omitempty"`
}

// archiveTime is every entry's modification time, so that the same models
// always give the same archive, byte for byte (and the same S3 ETag).
var archiveTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteModelArchive writes model.tar.gz for a SageMaker model: the .tflite
// files and label files at the archive's root (SageMaker extracts it into
// /opt/ml/model) and a manifest.json. The output is reproducible.
func WriteModelArchive(w io.Writer, models []ArchiveModel) (*Manifest, error) {
	if len(models) == 0 {
		return nil, errors.New("sagemaker: no model to archive")
	}
	type entry struct{ name, path string }
	var entries []entry
	files := map[string]string{} // archive name → source path
	add := func(name, path string) error {
		if name == ManifestFile || strings.ContainsAny(name, `/\`) || name == "" || name[0] == '.' {
			return fmt.Errorf("sagemaker: bad file name %q in model archive", name)
		}
		if prev, dup := files[name]; dup {
			if same, err := sameContent(prev, path); err != nil || !same {
				return fmt.Errorf("sagemaker: two different files named %s in model archive", name)
			}
			return nil
		}
		files[name] = path
		entries = append(entries, entry{name, path})
		return nil
	}
	m := &Manifest{Format: 1, Default: models[0].Name}
	for _, am := range models {
		mm := ManifestModel{Name: am.Name, File: am.Name + ".tflite"}
		var err error
		if mm.Bytes, mm.SHA256, err = fileDigest(am.Path); err != nil {
			return nil, err
		}
		if err := add(mm.File, am.Path); err != nil {
			return nil, err
		}
		if am.LabelsPath != "" {
			mm.Labels = filepath.Base(am.LabelsPath)
			if _, mm.LabelsSHA256, err = fileDigest(am.LabelsPath); err != nil {
				return nil, err
			}
			if err := add(mm.Labels, am.LabelsPath); err != nil {
				return nil, err
			}
		}
		m.Models = append(m.Models, mm)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	manifest, _ := json.MarshalIndent(m, "", "  ")
	manifest = append(manifest, '\n')
	if err := writeEntry(tw, ManifestFile, int64(len(manifest)), strings.NewReader(string(manifest))); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := copyEntry(tw, e.name, e.path); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return m, zw.Close()
}

func copyEntry(tw *tar.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return writeEntry(tw, name, st.Size(), f)
}

func writeEntry(tw *tar.Writer, name string, size int64, r io.Reader) error {
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: archiveTime, Typeflag: tar.TypeReg,
		Uname: "root", Gname: "root", Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err == nil && n != size {
		err = fmt.Errorf("sagemaker: %s changed while being archived", name)
	}
	return err
}

func fileDigest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

func sameContent(a, b string) (bool, error) {
	_, ha, err := fileDigest(a)
	if err != nil {
		return false, err
	}
	_, hb, err := fileDigest(b)
	return ha == hb, err
}

// ExtractModelArchive does what SageMaker does with ModelDataUrl before
// the container starts: it unpacks model.tar.gz into dir (for tests and
// local runs of the container). Only regular files at the archive's root
// are accepted, each at most maxFile bytes.
func ExtractModelArchive(r io.Reader, dir string, maxFile int64) (*Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("sagemaker: model archive: %w", err)
	}
	tr := tar.NewReader(zr)
	var m *Manifest
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("sagemaker: model archive: %w", err)
		}
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg || name == "" || strings.ContainsAny(name, `/\`) || name[0] == '.' {
			return nil, fmt.Errorf("sagemaker: model archive: unexpected entry %q", name)
		}
		if hdr.Size > maxFile {
			return nil, fmt.Errorf("sagemaker: model archive: %s is %d bytes, over %d", name, hdr.Size, maxFile)
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return nil, err
		}
		if name == ManifestFile {
			m = new(Manifest)
			if err := json.Unmarshal(data, m); err != nil {
				return nil, fmt.Errorf("sagemaker: model archive manifest: %w", err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	if m == nil {
		return nil, errors.New("sagemaker: model archive has no " + ManifestFile)
	}
	return m, nil
}
