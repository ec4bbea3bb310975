package lambdaproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/sagemaker"
)

// event is a payload 2.0 event as API Gateway sends it.
func event(method, rawPath, rawQuery string, headers map[string]string, body []byte, binary bool) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + rawPath, RawPath: rawPath, RawQueryString: rawQuery,
		Headers: headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "abc123", DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
			RequestID: "Jk3yXgXdoAMEVxQ=", RouteKey: method + " " + rawPath, Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: rawPath, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10", UserAgent: "curl/8.5.0"},
		},
	}
	if binary {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	} else {
		ev.Body = string(body)
	}
	return ev
}

func TestRequestFromEvent(t *testing.T) {
	ev := event("POST", "/predict", "top_k=3&model=a%20b", map[string]string{
		"content-type": "image/png", "x-forwarded-for": "203.0.113.10", "accept": "application/json, text/plain",
		"x-request-id": "client-chosen", "content-length": "999",
	}, []byte{0x89, 'P', 'N', 'G', 0, 0xFF}, true)
	ev.Cookies = []string{"a=1", "b=2"}
	req, err := Request(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	switch {
	case req.Method != "POST" || req.URL.Path != "/predict" || req.URL.Query().Get("model") != "a b" || req.RequestURI != "/predict?top_k=3&model=a%20b":
		t.Errorf("request line %s %s (%s)", req.Method, req.URL, req.RequestURI)
	case !bytes.Equal(body, []byte{0x89, 'P', 'N', 'G', 0, 0xFF}) || req.ContentLength != 6:
		t.Errorf("body %q, length %d", body, req.ContentLength)
	case req.Header.Get("Content-Type") != "image/png" || req.Header.Get("Accept") != "application/json, text/plain":
		t.Errorf("headers %v", req.Header)
	case req.Header.Get("Cookie") != "a=1; b=2":
		t.Errorf("cookie %q", req.Header.Get("Cookie"))
	case req.Header.Get("X-Request-Id") != "Jk3yXgXdoAMEVxQ=":
		t.Errorf("request id %q, want API Gateway's", req.Header.Get("X-Request-Id"))
	case req.Host != "abc123.execute-api.eu-west-1.amazonaws.com" || req.RemoteAddr != "203.0.113.10:0":
		t.Errorf("host %q remote %q", req.Host, req.RemoteAddr)
	}

	bad := ev
	bad.Body = "%%% not base64"
	if _, err := Request(context.Background(), bad); err == nil {
		t.Error("bad base64 accepted")
	}
	v1 := ev
	v1.RequestContext.HTTP.Method = "" // a payload 1.0 event has no requestContext.http
	if _, err := Request(context.Background(), v1); err == nil || !strings.Contains(err.Error(), "2.0") {
		t.Errorf("1.0 event: %v", err)
	}
}

func TestResponseToEvent(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Add("Vary", "Origin")
			w.Header().Add("Vary", "Accept")
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
			http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, `{"ok":true}`)
		case "/bin":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte{0, 1, 2, 0xFF})
		}
	})
	a := NewAdapter(h, nil)
	resp, err := a.Invoke(context.Background(), event("GET", "/json", "", nil, nil, false))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot || resp.Body != `{"ok":true}` || resp.IsBase64Encoded ||
		resp.Headers["Vary"] != "Origin,Accept" || len(resp.Cookies) != 2 || resp.Cookies[1] != "b=2" {
		t.Errorf("JSON answer %+v", resp)
	}
	if _, ok := resp.Headers["Set-Cookie"]; ok {
		t.Error("Set-Cookie left in headers")
	}
	resp, _ = a.Invoke(context.Background(), event("GET", "/bin", "", nil, nil, false))
	if resp.StatusCode != 200 || !resp.IsBase64Encoded || resp.Body != base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xFF}) {
		t.Errorf("binary answer %+v", resp)
	}
	bad := event("POST", "/json", "", nil, nil, false)
	bad.Body, bad.IsBase64Encoded = "!!", true
	resp, err = a.Invoke(context.Background(), bad)
	if err != nil || resp.StatusCode != 400 || !strings.Contains(resp.Body, `"bad_request"`) {
		t.Errorf("bad event: %+v, %v", resp, err)
	}
}

// TestDeadlineMargin: the handler's deadline is the Lambda's minus a
// margin, so a 504 can still be sent.
func TestDeadlineMargin(t *testing.T) {
	var got time.Time
	a := NewAdapter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = r.Context().Deadline()
	}), nil)
	deadline := time.Now().Add(10 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	a.Invoke(ctx, event("GET", "/", "", nil, nil, false))
	if d := deadline.Sub(got); d != deadlineMargin {
		t.Errorf("handler deadline %v before the Lambda's, want %v", d, deadlineMargin)
	}
}

// TestEmbeddedMetricFormat checks the EMF line: the _aws directive names
// every metric member, with units, in the namespace and dimension set.
func TestEmbeddedMetricFormat(t *testing.T) {
	var out bytes.Buffer
	m := NewMetrics(&out, "", "classifly-proxy", InferenceSageMaker)
	m.now = func() time.Time { return time.UnixMilli(1_700_000_000_123) }
	a := NewAdapter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ObserveInvocation(r.Context(), sagemaker.Invocation{Attempts: 3, Latency: 42 * time.Millisecond, ErrorCode: "ThrottlingException"})
		w.WriteHeader(http.StatusTooManyRequests)
	}), m)
	a.Invoke(context.Background(), event("POST", "/predict", "", nil, nil, false))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(lines), out.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	raw, _ := json.Marshal(line["_aws"])
	json.Unmarshal(raw, &meta)
	if meta.Timestamp != 1_700_000_000_123 || len(meta.CloudWatchMetrics) != 1 {
		t.Fatalf("_aws %s", raw)
	}
	d := meta.CloudWatchMetrics[0]
	if d.Namespace != DefaultNamespace || len(d.Dimensions) != 1 || d.Dimensions[0][0] != "FunctionName" {
		t.Errorf("directive %+v", d)
	}
	if line["FunctionName"] != "classifly-proxy" {
		t.Errorf("dimension value %v", line["FunctionName"])
	}
	want := map[string]float64{MetricRequests: 1, MetricErrors: 0, MetricClientErrors: 1, MetricThrottled: 1,
		MetricBackendAttempts: 3, MetricBackendLatency: 42}
	for _, metric := range d.Metrics {
		v, ok := line[metric.Name].(float64)
		if !ok || metric.Unit == "" {
			t.Errorf("metric %s has no value or unit in the line", metric.Name)
		}
		if w, check := want[metric.Name]; check && v != w {
			t.Errorf("%s = %v, want %v", metric.Name, v, w)
		}
		delete(want, metric.Name)
	}
	if _, ok := line[MetricLatency]; !ok || len(want) != 0 {
		t.Errorf("metrics missing from the directive: %v", want)
	}
	if line["status"] != 429.0 || line["backendError"] != "ThrottlingException" {
		t.Errorf("properties %v", line)
	}
}

func TestSetupErrors(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"unknown inference":   {EnvInference: "gpu"},
		"no endpoint":         {EnvInference: InferenceSageMaker},
		"bad timeout":         {EnvEndpoint: "e", "CLASSIFLY_REQUEST_TIMEOUT": "soon"},
		"bad log level":       {EnvEndpoint: "e", EnvLogLevel: "loud"},
		"no models in lambda": {EnvInference: InferenceLambda, EnvModelDir: t.TempDir()},
	} {
		_, err := Setup(context.Background(), func(k string) string { return env[k] }, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSetupLambdaInference: with inference in the function, the models
// come from $LAMBDA_TASK_ROOT/model, where the zip puts them.
func TestSetupLambdaInference(t *testing.T) {
	root := t.TempDir()
	modelDir := filepath.Join(root, "model")
	os.Mkdir(modelDir, 0o755)
	for _, f := range []string{registry.DefaultModel + ".tflite", "imagenet_labels.txt"} {
		os.WriteFile(filepath.Join(modelDir, f), shared.ReadModel(t, f), 0o644)
	}
	env := map[string]string{EnvInference: InferenceLambda, "LAMBDA_TASK_ROOT": root, "AWS_LAMBDA_FUNCTION_NAME": "fn"}
	var metrics bytes.Buffer
	a, err := Setup(context.Background(), func(k string) string { return env[k] }, &metrics, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cat := shared.ReadImage(t, "cat.bmp")
	resp, _ := a.Invoke(context.Background(), event("POST", "/predict", "", map[string]string{"content-type": "image/bmp"}, cat, true))
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"label":"Egyptian cat"`) {
		t.Errorf("answer %d %.300s", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(metrics.String(), `"inference":"lambda"`) || !strings.Contains(metrics.String(), `"FunctionName":"fn"`) {
		t.Errorf("metrics line %s", metrics.String())
	}
}
