package api

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/classifly/classifly/wire"
)

// TestWebUICodeTablesMatchOpenAPI reads the web UI's tables of error codes
// and statuses (web/static/api.js) as text, without importing the UI, and
// checks them against openapi.json: every code the UI names is one the API
// documents, and every status the API can answer has a heading.
func TestWebUICodeTablesMatchOpenAPI(t *testing.T) {
	js, err := os.ReadFile("../web/static/api.js")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIShape
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, c := range doc.codes() {
		documented[c] = true
	}
	tables := map[string]map[string]bool{}
	for _, name := range []string{"statusTitles", "codeTitles", "advice"} {
		body := regexp.MustCompile(`(?s)const ` + name + ` = \{(.*?)\n\};`).FindSubmatch(js)
		if body == nil {
			t.Fatalf("api.js has no table %s", name)
		}
		keys := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^\s+"?([a-z_0-9]+)"?:`).FindAllSubmatch(body[1], -1) {
			keys[string(m[1])] = true
		}
		if len(keys) == 0 {
			t.Fatalf("table %s: no keys read", name)
		}
		tables[name] = keys
	}
	for name, keys := range tables {
		for k := range keys {
			if _, err := strconv.Atoi(k); err == nil {
				continue // a status
			}
			if !documented[k] {
				t.Errorf("api.js %s names %q, which openapi.json does not document", name, k)
			}
		}
	}
	for code, status := range wire.Codes() {
		if !documented[string(code)] {
			t.Errorf("openapi.json does not document %s", code)
		}
		if code != wire.CodeCanceled && !tables["statusTitles"][strconv.Itoa(status)] {
			t.Errorf("api.js statusTitles has no heading for %d (%s)", status, code)
		}
	}
}
