//go:build e2e

package container

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
)

// TestBatchTransform drives the container exactly as SageMaker Batch
// Transform does ("Use your own inference code with batch transform"):
// `serve` with SAGEMAKER_BATCH and the job's settings in the environment,
// GET /ping until 200, GET /execution-parameters for the tuning, then one
// POST /invocations per S3 object (SplitType None: one picture each) with
// the job's ContentType and Accept, at most MaxConcurrentTransforms at once,
// bodies within MaxPayloadInMB, each answered within 600 s. Every answer is
// saved as SageMaker saves it, OBJECT.out; each must be one JSON line, so
// that the outputs concatenate to JSON Lines. The S3 side is what a test
// cannot reach; it is a folder here.
func TestBatchTransform(t *testing.T) {
	s := newSandbox(t)
	_, url, logs := s.start(t, -1, "SAGEMAKER_BATCH=true", "SAGEMAKER_BATCH_STRATEGY=SINGLE_RECORD",
		"SAGEMAKER_MAX_PAYLOAD_IN_MB=6", "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS=2")
	waitPing(t, url, time.Now(), logs)

	res, err := http.Get(url + "/execution-parameters")
	if err != nil {
		t.Fatal(err)
	}
	var params struct {
		MaxConcurrentTransforms int
		BatchStrategy           string
		MaxPayloadInMB          int
	}
	err = json.NewDecoder(res.Body).Decode(&params)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/execution-parameters: %s, %v", res.Status, err)
	}
	t.Logf("execution parameters: %+v", params)
	if params.MaxConcurrentTransforms < 1 || params.BatchStrategy != "SINGLE_RECORD" || params.MaxPayloadInMB < 6 || params.MaxPayloadInMB > 100 {
		t.Errorf("execution parameters %+v: want ≥ 1 concurrent, SINGLE_RECORD, 6–100 MB", params)
	}

	// The job: the input prefix's objects, the job's settings.
	inputs := map[string]string{ // object → Content-Type, as the job sets it
		"cat.bmp": "application/x-image", "grace_hopper.bmp": "application/x-image", "parrot.jpg": "image/jpeg",
	}
	const maxPayloadMB, concurrency = 6, 2 // the job's MaxPayloadInMB, MaxConcurrentTransforms
	bodies := map[string][]byte{}          // read here: a test may not skip from a goroutine
	for object := range inputs {
		bodies[object] = shared.ReadImage(t, object)
	}
	out := t.TempDir()
	client := &http.Client{Timeout: 600 * time.Second} // the invocation timeout Batch Transform allows
	var wg sync.WaitGroup
	slots := make(chan struct{}, concurrency)
	var mu sync.Mutex
	inFlight, most := 0, 0
	for object, ctype := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()

			body := bodies[object]
			if len(body) > maxPayloadMB<<20 {
				t.Errorf("%s: %d bytes, over MaxPayloadInMB: Batch Transform would fail the record", object, len(body))
				return
			}
			req, _ := http.NewRequest(http.MethodPost, url+"/invocations", bytes.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Accept", "application/jsonlines")
			resp, err := client.Do(req)
			if err != nil {
				t.Errorf("%s: %v", object, err)
				return
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: %s %s", object, resp.Status, answer)
				return
			}
			if err := os.WriteFile(filepath.Join(out, object+".out"), answer, 0o644); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most > concurrency {
		t.Errorf("%d invocations at once, over MaxConcurrentTransforms %d", most, concurrency)
	}

	// The outputs, concatenated, are JSON Lines: one classification a line.
	var all bytes.Buffer
	for object := range inputs {
		data, err := os.ReadFile(filepath.Join(out, object+".out"))
		if err != nil {
			t.Fatalf("no output for %s: %v", object, err)
		}
		if bytes.Count(data, []byte("\n")) != 1 || !bytes.HasSuffix(data, []byte("\n")) {
			t.Errorf("%s.out is not one JSON line: %q", object, data)
		}
		all.Write(data)
	}
	lines := strings.Split(strings.TrimSuffix(all.String(), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%d lines of output for %d objects", len(lines), len(inputs))
	}
	labels := map[string]bool{}
	for i, line := range lines {
		var r struct {
			Model       string
			Predictions []struct{ Label string }
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || len(r.Predictions) == 0 || r.Model == "" {
			t.Errorf("line %d is not a classification: %v: %s", i+1, err, line)
			continue
		}
		labels[r.Predictions[0].Label] = true
	}
	if !labels["Egyptian cat"] {
		t.Errorf("no line names Egyptian cat (cat.bmp): top labels %v", labels)
	}

	// A record that is not a picture fails on its own with a clear status,
	// as Batch Transform reports a failed record, and the container goes on.
	req, _ := http.NewRequest(http.MethodPost, url+"/invocations", strings.NewReader("id,name\n1,cat\n"))
	req.Header.Set("Content-Type", "application/x-image")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a CSV record: %s, want 415", resp.Status)
	}
	if resp, err := http.Get(url + "/ping"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/ping after a bad record: %v %v\n%s", resp, err, logs)
	}
}
