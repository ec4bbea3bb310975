package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	stdimage "image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/cli"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/server"
	"github.com/classifly/classifly/tflite"
)

// colorModel is a float classifier of three classes: the mean of each
// colour channel over a 4×4 picture, through SOFTMAX. With its metadata
// (mean 0, std 51, labels red/green/blue packed in the appended zip), a red
// picture's normalized input is (5, 0, 0), so "red" scores
// e^5 / (e^5 + 2); the default normalization would give (1, -1, -1).
func colorModel() []byte {
	m := tflitetest.Model{
		Tensors: []tflitetest.Tensor{
			{Name: "image", Type: tflite.Float32, Shape: []int32{1, 4, 4, 3}},
			{Name: "probability", Type: tflite.Float32, Shape: []int32{1, 3}},
			{Name: "axes", Type: tflite.Int32, Shape: []int32{2}, Data: tflitetest.Int32Bytes(1, 2)},
			{Name: "mean", Type: tflite.Float32, Shape: []int32{1, 3}},
		},
		Ops: []tflitetest.Op{
			{Code: tflite.OpMean, Inputs: []int32{0, 2}, Outputs: []int32{3}, Options: &tflite.ReducerOptions{}},
			{Code: tflite.OpSoftmax, Inputs: []int32{3}, Outputs: []int32{1}, Options: &tflite.SoftmaxOptions{Beta: 1}},
		},
		Inputs: []int32{0}, Outputs: []int32{1},
	}
	md := tflitetest.Metadata{Name: "colours", Description: "Which channel dominates.", Version: "1",
		InputName: "image", OutputName: "probability", Mean: []float32{0}, Std: []float32{51}, LabelFile: "colors.txt"}
	return m.WithMetadata(md, map[string][]byte{"colors.txt": []byte("red\ngreen\nblue\n")}).Bytes()
}

func solidPNG(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := stdimage.NewRGBA(stdimage.Rect(0, 0, 8, 8))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestServeModelWithMetadata serves a float model that is alone in its
// folder: its labels and input normalization come from its own TFLite
// metadata, and GET /models says so.
func TestServeModelWithMetadata(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "colours.tflite")
	if err := os.WriteFile(path, colorModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, server.Options{Models: []string{path}, Resolver: &registry.Resolver{ModelDir: t.TempDir(), Offline: true}})

	resp, err := http.Get(s.URL + "/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var listing struct {
		Models []struct {
			Name          string
			Format        string
			Labels        int
			LabelsFrom    string `json:"labels_from"`
			Normalization struct {
				Mean, Std []float32
				Source    string
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&listing); err != nil || len(listing.Models) != 1 {
		t.Fatalf("GET /models: %v %+v", err, listing)
	}
	m := listing.Models[0]
	if m.Name != "colours" || m.Format != "float32" || m.Labels != 3 || m.LabelsFrom != "metadata (colors.txt)" ||
		m.Normalization.Source != "metadata" || m.Normalization.Mean[0] != 0 || m.Normalization.Std[0] != 51 {
		t.Errorf("GET /models: %+v", m)
	}

	for _, tc := range []struct {
		c     color.RGBA
		label string
	}{{color.RGBA{R: 255}, "red"}, {color.RGBA{G: 255}, "green"}, {color.RGBA{B: 255}, "blue"}} {
		status, res, _ := postImage(t, http.DefaultClient, s.URL+"/predict?top_k=3", solidPNG(t, tc.c), "image/png")
		if status != 200 || len(res.Predictions) != 3 {
			t.Fatalf("%s picture: %d %+v", tc.label, status, res)
		}
		want := math.Exp(5) / (math.Exp(5) + 2)
		if p := res.Predictions[0]; p.Label != tc.label || math.Abs(float64(p.Score)-want) > 1e-5 {
			t.Errorf("%s picture: top %+v, want %s at %.5f (the metadata's normalization)", tc.label, p, tc.label, want)
		}
	}
}

// TestServeCommandNormalizationFlags runs `classifly serve` in this process
// with --input-mean 0 --input-std 25.5 on the model of colorModel: the
// flags win over its metadata's normalization (mean 0, std 51), in GET
// /models and in the scores, a red picture's input being (10, 0, 0).
func TestServeCommandNormalizationFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "colours.tflite")
	if err := os.WriteFile(path, colorModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	models := t.TempDir()
	logs := &testkit.LogBuffer{}
	env := &cli.Env{Stdout: io.Discard, Stderr: logs, Getenv: func(k string) string {
		if k == registry.EnvModelDir {
			return models
		}
		return ""
	}}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- cli.Main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--model", path, "--offline",
			"--input-mean", "0", "--input-std", "25.5"}, env)
	}()
	defer func() {
		cancel()
		if code := <-exited; code != cli.ExitOK {
			t.Errorf("serve exited %d:\n%s", code, logs)
		}
	}()
	url := "http://" + waitLog(t, logs, "listening")["addr"].(string)
	waitReady(t, url)

	resp, err := http.Get(url + "/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var listing struct {
		Models []struct {
			Normalization struct {
				Mean, Std []float32
				Source    string
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&listing); err != nil || len(listing.Models) != 1 {
		t.Fatalf("GET /models: %v %+v", err, listing)
	}
	if n := listing.Models[0].Normalization; n.Source != "flags" || len(n.Mean) != 1 || n.Mean[0] != 0 || len(n.Std) != 1 || n.Std[0] != 25.5 {
		t.Errorf("GET /models: normalization %+v, want mean 0, std 25.5 from the flags", n)
	}
	status, res, _ := postImage(t, http.DefaultClient, url+"/predict?top_k=3", solidPNG(t, color.RGBA{R: 255}), "image/png")
	if status != 200 || len(res.Predictions) != 3 {
		t.Fatalf("red picture: %d %+v", status, res)
	}
	want := math.Exp(10) / (math.Exp(10) + 2)
	if p := res.Predictions[0]; p.Label != "red" || math.Abs(float64(p.Score)-want) > 1e-5 {
		t.Errorf("red picture: top %+v, want red at %.5f (the flags' normalization, not the metadata's %.5f)",
			p, want, math.Exp(5)/(math.Exp(5)+2))
	}
}
