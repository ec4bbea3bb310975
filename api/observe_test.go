package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/classifly/classifly/wire"
)

func TestRequestIDAndLogs(t *testing.T) {
	h, logs := newHandler(t, localBackend(t), Config{})
	r := post("image/bmp", bytes.NewReader(image(t, "cat.bmp")), "")
	r.Header.Set("X-Request-Id", "trace-123.abc")
	if a := serve(t, h, r); a.header.Get("X-Request-Id") != "trace-123.abc" {
		t.Errorf("incoming id not echoed: %v", a.header)
	}
	r = post("image/bmp", bytes.NewReader(image(t, "cat.bmp")), "")
	r.Header.Set("X-Request-Id", "bad id\nwith newline")
	a := serve(t, h, r)
	id := a.header.Get("X-Request-Id")
	if len(id) != 24 || strings.Contains(id, " ") {
		t.Errorf("unsafe incoming id kept or no new id: %q", id)
	}
	var found bool
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if line["request_id"] == id {
			found = true
			for _, k := range []string{"method", "path", "route", "status", "duration_ms", "model"} {
				if _, ok := line[k]; !ok {
					t.Errorf("log line lacks %s: %s", k, sc.Text())
				}
			}
		}
	}
	if !found {
		t.Errorf("no log line with request id %s:\n%s", id, logs)
	}
}

func TestCORS(t *testing.T) {
	h, _ := newHandler(t, localBackend(t), Config{CORS: CORSConfig{AllowedOrigins: []string{"https://d111.cloudfront.net"}}})
	pre := httptest.NewRequest(http.MethodOptions, "/predict", nil)
	pre.Header.Set("Origin", "https://d111.cloudfront.net")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type, authorization")
	a := serve(t, h, pre)
	if a.status != 204 || a.header.Get("Access-Control-Allow-Origin") != "https://d111.cloudfront.net" ||
		!strings.Contains(a.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", a.status, a.header)
	}
	r := post("image/bmp", bytes.NewReader(image(t, "cat.bmp")), "")
	r.Header.Set("Origin", "https://d111.cloudfront.net")
	a = serve(t, h, r)
	if a.status != 200 || a.header.Get("Access-Control-Allow-Origin") != "https://d111.cloudfront.net" ||
		!strings.Contains(a.header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Errorf("simple request: %d %v", a.status, a.header)
	}
	evil := httptest.NewRequest(http.MethodOptions, "/predict", nil)
	evil.Header.Set("Origin", "https://evil.example")
	evil.Header.Set("Access-Control-Request-Method", "POST")
	if a := serve(t, h, evil); a.header.Get("Access-Control-Allow-Origin") != "" || a.status == 204 {
		t.Errorf("other origin allowed: %d %v", a.status, a.header)
	}
	wildcard, _ := newHandler(t, localBackend(t), Config{CORS: CORSConfig{AllowedOrigins: []string{"*"}}})
	if a := serve(t, wildcard, evil); a.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("wildcard: %v", a.header)
	}
}

func TestModelsAndMetrics(t *testing.T) {
	h, _ := newHandler(t, localBackend(t), Config{})
	a := serve(t, h, httptest.NewRequest("GET", "/models", nil))
	var list wire.ModelList
	if err := json.Unmarshal(a.raw, &list); err != nil || len(list.Models) != 1 {
		t.Fatalf("models: %v %s", err, a.raw)
	}
	_, width := smallClassifier(t).InputSize()
	if m := list.Models[0]; m.Name != smallModel || !m.Default || m.Input.Width != width || m.Labels != 1001 || m.LoadMS != 42 {
		t.Errorf("model info: %+v", m)
	}
	serve(t, h, post("image/bmp", bytes.NewReader(image(t, "cat.bmp")), ""))
	serve(t, h, post("text/plain", strings.NewReader("x"), ""))
	a = serve(t, h, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`classifly_http_requests_total{code="200",method="POST",route="POST /predict"} 1`,
		`classifly_http_requests_total{code="415",method="POST",route="POST /predict"} 1`,
		`classifly_http_request_duration_seconds_count{route="POST /predict"} 2`,
		`classifly_predict_stage_duration_seconds_count{stage="inference"} 1`,
		`classifly_predict_stage_duration_seconds_count{stage="decode"} 1`,
		`classifly_predict_stage_duration_seconds_count{stage="queue"} 1`,
		`classifly_http_requests_in_flight 1`,
		`classifly_inferences_in_flight 0`,
		`classifly_queue_depth 0`,
		`classifly_model_load_seconds{model="` + smallModel + `"} 0.042`,
		`go_goroutines`, `process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(a.raw), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestSageMakerInvocations: the container contract, with the options in
// the custom-attributes header as InvokeEndpoint sends them.
func TestSageMakerInvocations(t *testing.T) {
	h, _ := newHandler(t, localBackend(t), Config{SageMaker: true})
	r := post("application/octet-stream", bytes.NewReader(image(t, "cat.bmp")), "/invocations")
	r.Header.Set(wire.HeaderAttributes, "top_k=2&model="+smallModel)
	a := serve(t, h, r)
	if a.status != 200 || len(a.result.Predictions) != 2 {
		t.Errorf("invocations: %d %s", a.status, a.raw)
	}
	r = post("image/bmp", bytes.NewReader(image(t, "cat.bmp")), "/invocations")
	r.Header.Set(wire.HeaderAttributes, "colour=red")
	if a := serve(t, h, r); a.status != 400 {
		t.Errorf("unknown attribute: %d %s", a.status, a.raw)
	}
	// /predict does not read the SageMaker header.
	r = post("image/bmp", bytes.NewReader(image(t, "cat.bmp")), "/predict")
	r.Header.Set(wire.HeaderAttributes, "top_k=2")
	if a := serve(t, h, r); a.status != 200 || len(a.result.Predictions) != 5 {
		t.Errorf("predict with the header: %d %s", a.status, a.raw)
	}
}

// TestOpenAPIMatchesTheHandler keeps openapi.json honest: the same paths
// and methods as the router, and the same error codes as errors.go.
func TestOpenAPIMatchesTheHandler(t *testing.T) {
	h, _ := newHandler(t, localBackend(t), Config{SageMaker: true})
	a := serve(t, h, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc openAPIShape
	if err := json.Unmarshal(a.raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	routes := h.Routes()
	sort.Strings(documented)
	sort.Strings(routes)
	if !slices.Equal(documented, routes) {
		t.Errorf("documented %v\nrouted     %v", documented, routes)
	}
	var codes []string
	for c := range wire.Codes() {
		codes = append(codes, string(c))
	}
	sort.Strings(codes)
	if enum := doc.codes(); !slices.Equal(enum, codes) {
		t.Errorf("documented codes %v\ncodes %v", enum, codes)
	}
	// Every status the predict route can give is documented.
	var predict struct {
		Responses map[string]json.RawMessage `json:"responses"`
	}
	json.Unmarshal(doc.Paths["/predict"]["post"], &predict)
	for code, status := range wire.Codes() {
		if code == wire.CodeNotFound || code == wire.CodeMethodNotAllowed || code == wire.CodeCanceled {
			continue // routing, and nobody-listening
		}
		if _, ok := predict.Responses[http.StatusText(status)]; !ok {
			if _, ok := predict.Responses[itoa(status)]; !ok {
				t.Errorf("/predict does not document %d (%s)", status, code)
			}
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// openAPIShape is the part of openapi.json that the tests check.
type openAPIShape struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas struct {
			Error struct {
				Properties struct {
					Error struct {
						Properties struct {
							Code struct {
								Enum []string `json:"enum"`
							} `json:"code"`
						} `json:"properties"`
					} `json:"error"`
				} `json:"properties"`
			} `json:"Error"`
		} `json:"schemas"`
	} `json:"components"`
}

// codes are the documented error codes.
func (d *openAPIShape) codes() []string {
	return d.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
}
