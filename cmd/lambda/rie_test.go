//go:build e2e

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/classifly/classifly/container"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/sagemaker"
	"github.com/classifly/classifly/sagemaker/runtimeemu"
)

// RIEVersion is the AWS Lambda Runtime Interface Emulator the test runs.
const RIEVersion = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

const endpointName = "classifly-test"

var testCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

// want is an event's expected answer: its status and either the top label
// or the error code.
type want struct {
	status int
	label  string
	code   string
}

// expected answers, the same whichever backend serves: one API handler.
var expected = map[string]want{
	"predict-image-bytes.json":    {200, "Egyptian cat", ""},
	"predict-json-base64.json":    {200, "Egyptian cat", ""},
	"bad-json.json":               {400, "", "bad_request"},
	"bad-top-k.json":              {422, "", "invalid_parameter"},
	"not-an-image.json":           {415, "", "unsupported_image"},
	"truncated-image.json":        {400, "", "invalid_image"},
	"too-many-pixels.json":        {413, "", "image_too_large"},
	"unknown-model.json":          {404, "", "unknown_model"},
	"unsupported-media-type.json": {415, "", "unsupported_media_type"},
	"private-image-url.json":      {422, "", "url_not_allowed"},
	"invalid-base64-body.json":    {400, "", "bad_request"},
	"get-models.json":             {200, "", ""},
	"get-predict.json":            {405, "", "method_not_allowed"},
}

// TestBootstrapUnderRIEWithEmulatedSageMaker runs the real bootstrap under
// the Lambda Runtime Interface Emulator; its InvokeEndpoint calls go to the
// SageMaker Runtime emulator, which forwards them to the real container
// binary running `serve` with the models of a model.tar.gz.
func TestBootstrapUnderRIEWithEmulatedSageMaker(t *testing.T) {
	b := buildAll(t)
	containerURL := startContainer(t, b.classifly, modelDirFromArchive(t))
	emu := &runtimeemu.Emulator{Endpoints: map[string]string{endpointName: containerURL}, Credentials: testCreds, Region: "eu-west-1"}
	emuSrv := httptest.NewServer(emu)
	t.Cleanup(emuSrv.Close)

	rie := startRIE(t, b.rie, b.bootstrap, filepath.Dir(b.bootstrap), []string{
		"CLASSIFLY_INFERENCE=sagemaker",
		"CLASSIFLY_SAGEMAKER_ENDPOINT=" + endpointName,
		"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=" + emuSrv.URL,
		"AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=" + testCreds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + testCreds.SecretAccessKey,
	})
	events := loadEvents(t)
	for _, name := range sortedKeys(expected) {
		checkAnswer(t, name, rie.invoke(t, events[name]), expected[name])
	}
	// What reached SageMaker: only pictures that passed the proxy's checks,
	// as image/* bytes with the options in the custom attributes.
	for _, c := range emu.Calls() {
		if !strings.HasPrefix(c.ContentType, "image/") || c.Accept != "application/json" || c.Status == 0 {
			t.Errorf("InvokeEndpoint call %+v", c)
		}
	}
	// Two cats and the unknown model; the truncated picture fails the
	// header probe in the Lambda, in serve's words, without a paid call.
	if n := len(emu.Calls()); n != 3 {
		t.Errorf("%d InvokeEndpoint calls: %+v", n, emu.Calls())
	}

	t.Run("throttled", func(t *testing.T) {
		emu.Fail("ThrottlingException", 5) // every attempt of one request
		resp := rie.invoke(t, events["predict-image-bytes.json"])
		checkAnswer(t, "throttled", resp, want{429, "", "rate_limited"})
		if resp.Headers["Retry-After"] == "" {
			t.Errorf("429 without Retry-After: %v", resp.Headers)
		}
	})
	t.Run("endpoint provisioning", func(t *testing.T) {
		emu.Fail("ModelNotReadyException", 2) // clears within the retries
		checkAnswer(t, "not ready, then ready", rie.invoke(t, events["predict-image-bytes.json"]), want{200, "Egyptian cat", ""})
	})
	t.Run("embedded metrics", func(t *testing.T) {
		lines := rie.emfLines(t)
		if len(lines) < len(expected) {
			t.Fatalf("%d EMF lines for %d+ invocations", len(lines), len(expected))
		}
		throttled := 0
		for _, l := range lines {
			if l["Throttled"] == 1.0 {
				throttled++
				if l["BackendAttempts"] != 5.0 || l["backendError"] != "ThrottlingException" {
					t.Errorf("throttled request's line: %v", l)
				}
			}
		}
		if throttled != 1 {
			t.Errorf("%d lines with Throttled=1, want 1", throttled)
		}
	})
}

// TestBootstrapUnderRIEWithEngineInLambda runs the zip as Lambda would:
// unpacked into the task root, the bootstrap with its models under model/.
func TestBootstrapUnderRIEWithEngineInLambda(t *testing.T) {
	b := buildAll(t)
	models := shared.ModelDir(t)
	var zip bytes.Buffer
	if err := container.WriteLambdaZip(&zip, b.bootstrap, []container.ZipFile{
		{Name: "model/" + registry.DefaultModel + ".tflite", Path: filepath.Join(models, registry.DefaultModel+".tflite")},
		{Name: "model/imagenet_labels.txt", Path: filepath.Join(models, "imagenet_labels.txt")},
	}); err != nil {
		t.Fatal(err)
	}
	task := unzip(t, zip.Bytes())
	rie := startRIE(t, b.rie, filepath.Join(task, "bootstrap"), task, []string{
		"CLASSIFLY_INFERENCE=lambda", "AWS_REGION=eu-west-1",
	})
	events := loadEvents(t)
	for _, name := range sortedKeys(expected) {
		checkAnswer(t, name, rie.invoke(t, events[name]), expected[name])
	}
	for _, l := range rie.emfLines(t) {
		if l["inference"] != "lambda" || l["BackendAttempts"] != nil {
			t.Errorf("EMF line %v", l)
		}
	}
}

func checkAnswer(t *testing.T, name string, resp events.APIGatewayV2HTTPResponse, w want) {
	t.Helper()
	var body struct {
		Predictions []struct{ Label string } `json:"predictions"`
		Models      []struct{ Name string }  `json:"models"`
		Error       struct{ Code string }    `json:"error"`
	}
	err := json.Unmarshal([]byte(resp.Body), &body)
	switch {
	case err != nil || resp.IsBase64Encoded:
		t.Errorf("%s: body is not JSON text: %.200q", name, resp.Body)
	case resp.StatusCode != w.status:
		t.Errorf("%s: status %d, want %d: %.300s", name, resp.StatusCode, w.status, resp.Body)
	case w.label != "" && (len(body.Predictions) == 0 || body.Predictions[0].Label != w.label):
		t.Errorf("%s: top label not %q: %.300s", name, w.label, resp.Body)
	case body.Error.Code != w.code:
		t.Errorf("%s: error code %q, want %q", name, body.Error.Code, w.code)
	case name == "get-models.json" && (len(body.Models) == 0 || body.Models[0].Name != registry.DefaultModel):
		t.Errorf("%s: models %.300s", name, resp.Body)
	case resp.Headers["Content-Type"] != "application/json" || resp.Headers["X-Request-Id"] == "":
		t.Errorf("%s: headers %v", name, resp.Headers)
	}
}

// blobs are the pictures the events name.
func blobs(t *testing.T) map[string][]byte {
	cat := shared.ReadImage(t, "cat.bmp")
	return map[string][]byte{
		"cat.bmp":           cat,
		"cat-truncated.bmp": cat[:len(cat)/2],
		"not-an-image.txt":  []byte("This is a text file, not a picture.\n"),
		"huge-header.png":   pngHeader(100_000, 100_000),
	}
}

// pngHeader is a PNG signature and IHDR declaring w×h pixels, no data.
func pngHeader(w, h uint32) []byte {
	ihdr := append([]byte("IHDR"), make([]byte, 13)...)
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2
	out := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// loadEvents reads testdata/events with the pictures filled in.
func loadEvents(t *testing.T) map[string][]byte {
	t.Helper()
	pics := blobs(t)
	out := map[string][]byte{}
	for name := range expected {
		raw, err := os.ReadFile(filepath.Join("testdata", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(raw)
		for pic, data := range pics {
			s = strings.ReplaceAll(s, "{{base64 "+pic+"}}", base64.StdEncoding.EncodeToString(data))
		}
		if strings.Contains(s, "{{") {
			t.Fatalf("%s: unknown placeholder", name)
		}
		out[name] = []byte(s)
	}
	return out
}

// rie is a running Runtime Interface Emulator with a bootstrap.
type rie struct {
	url    string
	stdout testkit.LogBuffer
}

// startRIE runs aws-lambda-rie with the bootstrap in dir (the task root)
// and a clean environment plus env.
func startRIE(t *testing.T, rieBin, bootstrap, dir string, env []string) *rie {
	t.Helper()
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rieBin, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr,
		"--log-level", "error", bootstrap)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_LAMBDA_FUNCTION_NAME=classifly-test", "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024", "CLASSIFLY_LOG_LEVEL=warn"}, env...)
	r := &rie{url: "http://" + addr + "/2015-03-31/functions/function/invocations"}
	cmd.Stdout = &r.stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("aws-lambda-rie stderr:\n%s\nstdout:\n%s", stderr.String(), r.stdout.String())
		}
	})
	waitListening(t, addr)
	return r
}

// invoke sends one event and decodes the function's response.
func (r *rie) invoke(t *testing.T, ev []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	client := &http.Client{Timeout: 40 * time.Second}
	resp, err := client.Post(r.url, "application/json", bytes.NewReader(ev))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out events.APIGatewayV2HTTPResponse
	if resp.StatusCode != 200 || json.Unmarshal(raw, &out) != nil || out.StatusCode == 0 {
		t.Fatalf("RIE answered %s: %.500s", resp.Status, raw)
	}
	return out
}

// emfLines returns the function's Embedded Metric Format lines so far.
func (r *rie) emfLines(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(r.stdout.String(), "\n") {
		i := strings.Index(line, `{"`)
		if i < 0 || !strings.Contains(line, `"_aws"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line[i:]), &m); err != nil {
			t.Errorf("EMF line is not JSON: %v\n%s", err, line)
			continue
		}
		out = append(out, m)
	}
	return out
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s after 10 s", addr)
}

// modelDirFromArchive makes model.tar.gz and extracts it, as SageMaker does
// into /opt/ml/model.
func modelDirFromArchive(t *testing.T) string {
	models := shared.ModelDir(t)
	var archive bytes.Buffer
	if _, err := sagemaker.WriteModelArchive(&archive, []sagemaker.ArchiveModel{{
		Name: registry.DefaultModel, Path: filepath.Join(models, registry.DefaultModel+".tflite"),
		LabelsPath: filepath.Join(models, "imagenet_labels.txt"),
	}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := sagemaker.ExtractModelArchive(&archive, dir, 64<<20); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startContainer runs the container binary as SageMaker does (`serve`
// appended to the entrypoint, port from SAGEMAKER_BIND_TO_PORT), with the
// models of modelDir, waits for its /ping to pass and returns its base
// URL.
func startContainer(t *testing.T, bin, modelDir string) string {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	files, _ := filepath.Glob(filepath.Join(modelDir, "*.tflite"))
	args := append([]string(nil), container.Entrypoint[1:]...)
	for _, f := range files {
		args = append(args, "--model", f)
	}
	cmd := exec.Command(bin, append(args, "serve")...)
	cmd.Env = []string{"SAGEMAKER_BIND_TO_PORT=" + port, "PATH=/usr/local/bin"}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("container log:\n%s", logs.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%s", port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if resp, err := http.Get(url + "/ping"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the container's /ping did not pass within 20 s")
		}
	}
}
