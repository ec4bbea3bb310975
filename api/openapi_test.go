package api

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/classifly/classifly/imageprep"
)

// TestOpenAPIDocumentsTheOptions holds openapi.json to the options the
// handler reads: the same names as query parameters, multipart fields and
// JSON fields of both predict routes, and enums the handler accepts.
func TestOpenAPIDocumentsTheOptions(t *testing.T) {
	h, _ := newHandler(t, localBackend(t), Config{SageMaker: true})
	a := serve(t, h, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]struct {
			Post struct {
				Parameters []struct {
					Name   string `json:"name"`
					In     string `json:"in"`
					Schema struct {
						Enum []string `json:"enum"`
					} `json:"schema"`
				} `json:"parameters"`
				RequestBody struct {
					Content map[string]struct {
						Schema struct {
							Properties map[string]json.RawMessage `json:"properties"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			} `json:"post"`
		} `json:"paths"`
		Components struct {
			Schemas struct {
				PredictRequest struct {
					Properties map[string]struct {
						Enum []string `json:"enum"`
					} `json:"properties"`
				} `json:"PredictRequest"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(a.raw, &doc); err != nil {
		t.Fatal(err)
	}
	var options []string
	for name := range optionNames {
		options = append(options, name)
	}
	sort.Strings(options)

	for _, path := range []string{"/predict", "/invocations"} {
		op := doc.Paths[path].Post
		var query, form []string
		for _, p := range op.Parameters {
			if p.In == "query" {
				query = append(query, p.Name)
			}
			if p.Name == "resize" {
				checkResizeEnum(t, path+" query resize", p.Schema.Enum)
			}
		}
		for name := range op.RequestBody.Content["multipart/form-data"].Schema.Properties {
			if name != "image" {
				form = append(form, name)
			}
		}
		sort.Strings(query)
		sort.Strings(form)
		if !slices.Equal(query, options) {
			t.Errorf("%s documents query parameters %v, the handler reads %v", path, query, options)
		}
		if !slices.Equal(form, options) {
			t.Errorf("%s documents form fields %v, the handler reads %v", path, form, options)
		}
	}

	// The JSON body: every field of predictJSON, by its tag.
	var fields, documented []string
	rt := reflect.TypeFor[predictJSON]()
	for i := range rt.NumField() {
		fields = append(fields, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	props := doc.Components.Schemas.PredictRequest.Properties
	for name := range props {
		documented = append(documented, name)
	}
	sort.Strings(fields)
	sort.Strings(documented)
	if !slices.Equal(fields, documented) {
		t.Errorf("PredictRequest documents %v, the handler reads %v", documented, fields)
	}
	checkResizeEnum(t, "PredictRequest.resize", props["resize"].Enum)
}

// checkResizeEnum requires the documented values to be exactly the ones
// imageprep.ParseResize takes.
func checkResizeEnum(t *testing.T, where string, enum []string) {
	t.Helper()
	want := []string{imageprep.ResizeFast.String(), imageprep.ResizeExact.String()}
	if !slices.Equal(enum, want) {
		t.Errorf("%s: enum %v, want %v", where, enum, want)
	}
	for _, v := range enum {
		if _, err := imageprep.ParseResize(v); err != nil {
			t.Errorf("%s: documented %q is refused: %v", where, v, err)
		}
	}
}
