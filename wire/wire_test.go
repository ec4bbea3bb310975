package wire

import (
	"net/http"
	"testing"
	"time"
)

func TestReadError(t *testing.T) {
	for _, c := range []struct {
		status    int
		body      string
		code      Code
		temporary bool
	}{
		{503, `{"error":{"code":"overloaded","message":"busy"}}`, CodeOverloaded, true},
		{429, `{"error":{"code":"rate_limited","message":"slow down"}}`, CodeRateLimited, true},
		{415, `{"error":{"code":"unsupported_image","message":"heif"}}`, CodeUnsupportedImage, false},
		{400, `{"error":{"code":"overloaded","message":"wrong status"}}`, "", false},
		{418, `{"error":{"code":"teapot","message":"unknown code"}}`, "", false},
		{502, `<html>bad gateway</html>`, "", true},
		{404, `{"message":"Not Found"}`, "", false},
	} {
		h := http.Header{}
		h.Set("Retry-After", "3")
		e := ReadError(c.status, h, []byte(c.body))
		if e.Code != c.code || e.Temporary() != c.temporary || e.Status != c.status || e.RetryAfter != 3*time.Second {
			t.Errorf("%d %s: got %+v temporary=%v", c.status, c.body, e, e.Temporary())
		}
	}
	b := MarshalError(CodeBadRequest, `say "hi"`)
	if e := ReadError(400, nil, b); e.Code != CodeBadRequest || e.Message != `say "hi"` {
		t.Errorf("round trip: %s → %+v", b, e)
	}
}

func TestAttributesRoundTrip(t *testing.T) {
	o := Options{Model: "m_1.0", TopK: 7, Threshold: 0.125, Resize: "exact"}
	v, err := ParseAttributes(o.Attributes())
	if err != nil || v.Get("model") != "m_1.0" || v.Get("top_k") != "7" || v.Get("threshold") != "0.125" || v.Get("resize") != "exact" {
		t.Errorf("%q → %v %v", o.Attributes(), v, err)
	}
	if s := (Options{}).Attributes(); s != "" {
		t.Errorf("zero options encode as %q", s)
	}
	if _, err := ParseAttributes("top_k=%zz"); err == nil {
		t.Error("malformed attributes accepted")
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
	for c, s := range Codes() {
		if c.Status() != s || s < 400 {
			t.Errorf("%s: %d", c, s)
		}
	}
	if Code("nope").Status() != 500 || Code("nope").Known() {
		t.Error("an unknown code is not a 500")
	}
}

func TestStagesRoundTrip(t *testing.T) {
	s := Stages{Fetch: 1500 * time.Microsecond, Decode: 2 * time.Millisecond, Preprocess: 3001 * time.Microsecond,
		Inference: 40 * time.Millisecond, Total: 46501 * time.Microsecond}
	m := s.Millis()
	if m.Fetch != 1.5 || m.Total != 46.501 {
		t.Errorf("%+v in milliseconds: %+v", s, m)
	}
	if back := m.Stages(); back != s {
		t.Errorf("%+v → %+v → %+v", s, m, back)
	}
}
