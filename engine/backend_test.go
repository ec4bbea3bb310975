package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/internal/shared"
)

// TestMain refuses to pass quietly on kernels other than the ones asked
// for: when EnvBackend names a backend this CPU cannot run, every model
// would fail to load, so the tests are skipped, saying why.
func TestMain(m *testing.M) {
	if name := os.Getenv(EnvBackend); name != "" {
		if _, err := kernels.ChooseBackend(name); err != nil {
			fmt.Printf("SKIP engine tests: %s=%s: %v\n", EnvBackend, name, err)
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// checkBackend fails the test if EnvBackend forces a backend and m runs
// another, and logs the one that ran.
func checkBackend(t testing.TB, m *Model) {
	t.Helper()
	if want := os.Getenv(EnvBackend); want != "" && m.Backend() != strings.ToLower(want) {
		t.Fatalf("%s=%s but the model runs %s", EnvBackend, want, m.Backend())
	}
	t.Logf("kernels: %s", m.Backend())
}

// vectorBackends lists the vector backends of this architecture, whether
// or not this CPU has them.
func vectorBackends() []kernels.Backend {
	switch runtime.GOARCH {
	case "amd64":
		return []kernels.Backend{kernels.AVX2, kernels.AVXVNNI, kernels.AVX512VNNI}
	case "arm64":
		return []kernels.Backend{kernels.NEON}
	}
	return nil
}

// TestEveryBackendGolden runs both model formats on every backend this CPU
// has, chosen through Options.Backend, checks that that backend ran and
// that its bytes are TFLite's, and says which backends it could not test.
func TestEveryBackendGolden(t *testing.T) {
	avail := kernels.Available()
	for _, b := range vectorBackends() {
		if _, err := kernels.ChooseBackend(b.String()); err != nil {
			t.Logf("not tested: %v", err)
		}
	}
	for _, b := range avail {
		for _, name := range []string{shared.SmallModel(), "tf2_mobilenet_v2_1.0_224_ptq"} {
			t.Run(b.String()+"/"+name, func(t *testing.T) {
				m, err := LoadFile(shared.Model(t, name+".tflite"), Options{Backend: b.String(), Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if m.Backend() != b.String() {
					t.Fatalf("asked for %s, the model runs %s", b, m.Backend())
				}
				in, want := goldenPair(t, name, "cat")
				out := make([]byte, len(want))
				if err := m.Run(context.Background(), in, out); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, want) {
					t.Errorf("output differs from TFLite's")
				}
			})
		}
	}
}

// TestBackendRefused: a backend that does not exist, or that this CPU
// cannot run, is a load error that names the backends it has.
func TestBackendRefused(t *testing.T) {
	data := shared.ReadModel(t, shared.SmallModel()+".tflite")
	names := []string{"sse9"}
	for _, b := range []kernels.Backend{kernels.AVX2, kernels.AVXVNNI, kernels.AVX512VNNI, kernels.NEON} {
		if _, err := kernels.ChooseBackend(b.String()); err != nil {
			names = append(names, b.String())
		}
	}
	for _, name := range names {
		_, err := Load(data, Options{Backend: name})
		if err == nil || !strings.Contains(err.Error(), "generic") || !strings.Contains(err.Error(), name) {
			t.Errorf("backend %q: got %v, want an error naming it and the backends this CPU has", name, err)
		}
	}
	m, err := Load(data, Options{Reference: true, Backend: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Backend() != "reference" {
		t.Errorf("Reference model reports backend %q", m.Backend())
	}
}
