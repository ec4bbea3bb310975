package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/server"
)

// TestSplitRoles runs a model endpoint and a proxy in front of it, both real
// servers on loopback, and checks that the proxy answers as the endpoint
// would: results, errors, model list, request ids, readiness.
func TestSplitRoles(t *testing.T) {
	models := []string{smallModel}
	if smallModel != registry.DefaultModel { // a bare clone has the default model only
		models = append(models, registry.DefaultModel)
	}
	endpoint := start(t, server.Options{Role: server.RoleEndpoint, Models: models})
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>classifly ui</html>") })
	proxy := start(t, server.Options{Role: server.RoleProxy, Endpoint: endpoint.URL, UI: ui})
	waitReady(t, proxy.URL)
	client := &http.Client{}
	cat := image(t, "cat.bmp")

	// The default model is MobileNet V2, though listed second.
	status, res, hdr := postImage(t, client, proxy.URL+"/predict?top_k=3", cat, "image/bmp")
	if status != 200 || res.Model != registry.DefaultModel || len(res.Predictions) != 3 {
		t.Fatalf("proxy predict: %d %+v", status, res)
	}
	if p := res.Predictions[0]; p.Index != 286 || p.Label != "Egyptian cat" || p.Score < 0.7 {
		t.Errorf("top prediction %+v, want Egyptian cat", p)
	}
	// The proxy's request id reaches the endpoint's log.
	if id := hdr.Get("X-Request-Id"); id == "" || !strings.Contains(endpoint.Logs.String(), `"request_id":"`+id+`"`) {
		t.Errorf("request id %q not in the endpoint's log", id)
	}

	body, _ := json.Marshal(map[string]any{"image_base64": base64.StdEncoding.EncodeToString(cat), "model": smallModel, "top_k": 1})
	if status, res, _ := postImage(t, client, proxy.URL+"/predict", body, "application/json"); status != 200 || res.Model != smallModel || len(res.Predictions) != 1 {
		t.Errorf("proxy predict, small model: %d %+v", status, res)
	}

	// Errors come through with the endpoint's status and code.
	for _, c := range []struct {
		body   []byte
		query  string
		status int
		code   string
	}{
		{cat, "?model=resnet_9000", 404, "unknown_model"},
		{[]byte("hello"), "", 415, "unsupported_image"},
		{cat[:len(cat)/2], "", 400, "invalid_image"},
	} {
		status, res, _ := postImage(t, client, proxy.URL+"/predict"+c.query, c.body, "application/octet-stream")
		if status != c.status || res.Error.Code != c.code {
			t.Errorf("%s: got %d %+v, want %d %s", c.query, status, res.Error, c.status, c.code)
		}
	}

	// The proxy lists the endpoint's models and serves the UI; the endpoint
	// has no UI.
	resp, err := client.Get(proxy.URL + "/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Models []struct{ Name string } }
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Models) != len(models) || list.Models[0].Name != registry.DefaultModel {
		t.Errorf("proxy /models: %+v", list)
	}
	if page := get(t, proxy.URL+"/"); !strings.Contains(page, "classifly ui") {
		t.Errorf("proxy / is not the UI: %q", page)
	}
	if page := get(t, endpoint.URL+"/"); !strings.Contains(page, "not_found") {
		t.Errorf("endpoint / should be a JSON 404: %q", page)
	}
	if resp, err := client.Get(endpoint.URL + "/ping"); err != nil || resp.StatusCode != 200 {
		t.Errorf("endpoint /ping: %v %v", err, resp)
	}

	// Without its endpoint the proxy is not ready, and says so per request.
	if err := endpoint.stop(); err != nil {
		t.Fatal(err)
	}
	if resp, err := client.Get(proxy.URL + "/readyz"); err != nil || resp.StatusCode != 503 {
		t.Errorf("proxy /readyz without endpoint: %v %v", err, resp)
	}
	if status, res, hdr := postImage(t, client, proxy.URL+"/predict", cat, "image/bmp"); status != 503 ||
		res.Error.Code != "backend_unavailable" || hdr.Get("Retry-After") == "" {
		t.Errorf("proxy predict without endpoint: %d %+v", status, res)
	}
}

func TestRoleValidation(t *testing.T) {
	for _, opts := range []server.Options{
		{Role: "sidecar"},
		{Role: server.RoleProxy},
		{Role: server.RoleProxy, Endpoint: "ftp://x"},
		{Role: server.RoleAll, Endpoint: "http://127.0.0.1:1"},
	} {
		if _, err := server.New(opts); err == nil {
			t.Errorf("%+v accepted", opts)
		}
	}
}

// TestBadModelStopsTheServer: a model that cannot be loaded ends Serve
// with the error instead of serving 503s forever.
func TestBadModelStopsTheServer(t *testing.T) {
	s, err := server.New(server.Options{Models: []string{"/nonexistent/model.tflite"}, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "model.tflite") {
		t.Errorf("got %v", err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
