package container

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"
)

// zipEpoch is every entry's time: the zip format's DOS dates start in 1980.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// ZipFile is one file to put in the Lambda zip besides bootstrap.
type ZipFile struct {
	Name string // path inside the zip, slash-separated, e.g. "model/x.tflite"
	Path string // the file on disk
}

// WriteLambdaZip writes the deployment package of a provided.al2023
// function: the executable bootstrap at the root (mode 0755 — Lambda runs
// it as is) and the extra files, read-only, in name order, with fixed
// timestamps.
func WriteLambdaZip(w io.Writer, bootstrap string, files []ZipFile) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	if err := addZipFile(zw, "bootstrap", bootstrap, 0o755); err != nil {
		return err
	}
	files = append([]ZipFile(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	seen := map[string]bool{"bootstrap": true}
	for _, f := range files {
		name := path.Clean(f.Name)
		if seen[name] || path.IsAbs(name) || name == "." || name == ".." || len(name) > 2 && name[:3] == "../" {
			return fmt.Errorf("container: bad or repeated zip entry %q", f.Name)
		}
		seen[name] = true
		if err := addZipFile(zw, name, f.Path, 0o644); err != nil {
			return err
		}
	}
	return zw.Close()
}

func addZipFile(zw *zip.Writer, name, file string, mode os.FileMode) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipEpoch}
	hdr.SetMode(mode) // also marks the entry as made on Unix, so the mode is kept
	fw, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	_, err = fw.Write(data)
	return err
}
