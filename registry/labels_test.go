package registry_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
)

func TestLoadLabelsImageNet(t *testing.T) {
	labels, err := registry.LoadLabels(shared.Model(t, "imagenet_labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 1001 {
		t.Fatalf("%d labels, want 1001", len(labels))
	}
	for i, want := range map[int]string{0: "background", 286: "Egyptian cat", 653: "military uniform"} {
		if labels[i] != want {
			t.Errorf("labels[%d] = %q, want %q", i, labels[i], want)
		}
	}
}

func TestLoadLabelsKnown(t *testing.T) {
	shared.Full(t) // several models
	dir := shared.ModelDir(t)
	for file, n := range map[string]int{"inat_bird_labels.txt": 965, "inat_insect_labels.txt": 1022} {
		labels, err := registry.LoadLabels(filepath.Join(dir, file))
		if err != nil || len(labels) != n {
			t.Errorf("%s: %d labels, %v; want %d", file, len(labels), err, n)
		}
	}
}

func TestLoadLabelsFormat(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"plain", "a\nb\nc\n", []string{"a", "b", "c"}},
		{"no final newline", "a\nb", []string{"a", "b"}},
		{"crlf", "a\r\nb\r\n\r\n", []string{"a", "b"}},
		{"bom", "\ufeffa\nb\n", []string{"a", "b"}},
		{"blank inside", "a\n\nc\n\n\n", []string{"a", "", "c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "labels.txt")
			if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := registry.LoadLabels(p)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("LoadLabels = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestLoadLabelsBad(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	big := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(empty, []byte("\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, []byte(strings.Repeat("label\n", registry.MaxLabelsSize/6+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{empty, big, filepath.Join(dir, "missing.txt")} {
		if _, err := registry.LoadLabels(p); err == nil {
			t.Errorf("LoadLabels(%s) succeeded", filepath.Base(p))
		}
	}
}
