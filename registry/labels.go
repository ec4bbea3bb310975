package registry

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxLabelsSize bounds a label file; the known ones are under 41 kB.
const MaxLabelsSize = 4 << 20

// LoadLabels reads a label file: one label per line, the line number (from 0)
// being the class index. It drops a UTF-8 byte-order mark, each line's
// trailing \r and the blank lines at the end; blank lines inside are kept,
// as they still hold an index.
func LoadLabels(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxLabelsSize+1))
	if err != nil {
		return nil, fmt.Errorf("labels %s: %w", path, err)
	}
	if len(data) > MaxLabelsSize {
		return nil, fmt.Errorf("labels %s: larger than %d bytes", path, MaxLabelsSize)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("labels %s: no labels", path)
	}
	return lines, nil
}
