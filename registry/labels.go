package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxLabelsSize bounds a label file; the known ones are under 41 kB.
const MaxLabelsSize = 4 << 20

// LoadLabels reads a label file; see [ParseLabels].
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
	labels, err := ParseLabels(data)
	if err != nil {
		return nil, fmt.Errorf("labels %s: %w", path, err)
	}
	return labels, nil
}

// ParseLabels parses a label file: one label per line, the line number
// (from 0) being the class index. It drops a UTF-8 byte-order mark, each
// line's trailing \r and the blank lines at the end; blank lines inside are
// kept, as they still hold an index.
func ParseLabels(data []byte) ([]string, error) {
	if len(data) > MaxLabelsSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxLabelsSize)
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
		return nil, errors.New("no labels")
	}
	return lines, nil
}
