package sagemaker

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/sagemaker/runtimeemu"
	"github.com/classifly/classifly/server"
	"github.com/classifly/classifly/wire"
)

const (
	testEndpoint = "classifly-test"
	testRegion   = "eu-west-1"
	catModel     = registry.DefaultModel // mobilenet_v2_1.0_224_quant
)

var testCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

var (
	containerOnce sync.Once
	containerURL  string
	containerErr  error
)

// container is the real model endpoint (`classifly serve --role
// endpoint` in-process, mobilenet v2 loaded), shared by the tests.
func container(t *testing.T) string {
	t.Helper()
	dir := shared.ModelDir(t)
	containerOnce.Do(func() {
		s, err := server.New(server.Options{
			Role: server.RoleEndpoint, Models: []string{filepath.Join(dir, catModel+".tflite")},
			Resolver: &registry.Resolver{ModelDir: dir, Offline: true},
		})
		if err != nil {
			containerErr = err
			return
		}
		if containerErr = s.LoadModels(context.Background()); containerErr == nil {
			containerURL = httptest.NewServer(s.Handler()).URL // lives as long as the test binary
		}
	})
	if containerErr != nil {
		t.Fatal(containerErr)
	}
	return containerURL
}

// fixture is an API over a Backend over the SageMaker Runtime emulator
// over the container.
type fixture struct {
	emu     *runtimeemu.Emulator
	backend *Backend
	api     *httptest.Server
	invs    []Invocation
	mu      sync.Mutex
}

func newFixture(t *testing.T, mutate func(*Options, *aws.Credentials)) *fixture {
	t.Helper()
	f := &fixture{emu: &runtimeemu.Emulator{
		Endpoints: map[string]string{testEndpoint: container(t)}, Credentials: testCreds, Region: testRegion,
	}}
	emuSrv := httptest.NewServer(f.emu)
	t.Cleanup(emuSrv.Close)
	opts := Options{EndpointName: testEndpoint, Retry: RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		Observe: func(_ context.Context, inv Invocation) {
			f.mu.Lock()
			f.invs = append(f.invs, inv)
			f.mu.Unlock()
		}}
	creds := testCreds
	if mutate != nil {
		mutate(&opts, &creds)
	}
	client := sagemakerruntime.New(sagemakerruntime.Options{
		Region: testRegion, BaseEndpoint: aws.String(emuSrv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
	}, WithoutSDKRetries)
	b, err := New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.backend = b
	h, err := api.New(b, api.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f.api = httptest.NewServer(h)
	t.Cleanup(f.api.Close)
	return f
}

func (f *fixture) invocations() []Invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Invocation(nil), f.invs...)
}

// post sends body to /predict and decodes the answer.
func (f *fixture) post(t *testing.T, path, contentType string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Post(f.api.URL+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s answered %s with a body that is not JSON: %v", path, resp.Status, err)
	}
	return resp.StatusCode, resp.Header, out
}

func readImage(t *testing.T, name string) []byte { return shared.ReadImage(t, name) }

// topLabel returns the first prediction's label of a 200 answer.
func topLabel(t *testing.T, out map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(out)
	var res classify.Result
	if err := json.Unmarshal(b, &res); err != nil || len(res.Predictions) == 0 {
		t.Fatalf("not a classification: %s", b)
	}
	return res.Predictions[0].Label
}

func errorCode(out map[string]any) wire.Code {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return wire.Code(c)
}
