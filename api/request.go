package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/wire"
)

// predictInput is a parsed /predict request: the image (bytes or URL) and
// the options.
type predictInput struct {
	image    []byte
	imageURL string
	model    string
	options  classify.Options
}

// predictJSON is the JSON request body. Pointers tell "absent" from zero.
type predictJSON struct {
	ImageURL    *string  `json:"image_url"`
	ImageBase64 *string  `json:"image_base64"`
	TopK        *int     `json:"top_k"`
	Threshold   *float64 `json:"threshold"`
	Model       *string  `json:"model"`
	Resize      *string  `json:"resize"`
}

// maxFieldBytes bounds a non-image multipart field.
const maxFieldBytes = 1024

// receive takes an upload allowance, reserves the body's memory, reads
// the body under the upload deadlines and parses it by Content-Type: JSON,
// multipart form, or raw image bytes with the options in the query (and,
// on /invocations, in SageMaker's custom-attributes header). No inference
// slot is held meanwhile, so a slow client holds only its upload allowance.
func (h *Handler) receive(ctx context.Context, w http.ResponseWriter, r *http.Request, invocations bool, mem *reservation) (*predictInput, error) {
	in := &predictInput{options: classify.Options{TopK: classify.DefaultTopK, MaxPixels: h.cfg.Limits.MaxPixels,
		MaxPixelsJPEG: h.cfg.Limits.MaxPixelsJPEG}}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, errorf(wire.CodeUnsupportedMediaType, "Content-Type is required: application/json, multipart/form-data, image/* or application/octet-stream")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, errorf(wire.CodeBadRequest, "malformed Content-Type %q", ct)
	}
	// application/x-image is what SageMaker clients conventionally send.
	raw := strings.HasPrefix(mt, "image/") || mt == "application/octet-stream" || mt == "application/x-image"
	switch {
	case !raw && mt != "application/json" && mt != "multipart/form-data":
		return nil, errorf(wire.CodeUnsupportedMediaType, "Content-Type %s is not accepted: send application/json, multipart/form-data, image/* or application/octet-stream", mt)
	case !raw && r.URL.RawQuery != "":
		return nil, errorf(wire.CodeBadRequest, "with %s the options go in the body, not the query", mt)
	}
	if !h.uploads.tryEnter() {
		return nil, fmt.Errorf("%w: too many uploads in progress", ErrOverloaded)
	}
	defer h.uploads.leave()
	// While it is parsed, a JSON body is held four times (the bytes, the
	// decoder's buffer, the string, the decoded picture: 3.75 times), a
	// multipart one twice (the form and the part). Once parsed, only the
	// picture stays.
	need := h.cfg.Limits.MaxBodyBytes
	if r.ContentLength >= 0 {
		need = min(r.ContentLength, need)
	}
	switch mt {
	case "application/json":
		need *= 4
	case "multipart/form-data":
		need *= 2
	}
	if err := mem.grow(ctx, need, "the request body"); err != nil {
		return nil, err
	}
	data, err := h.readBody(ctx, w, r)
	if err != nil {
		return nil, err
	}
	switch {
	case mt == "application/json":
		err = h.parseJSON(bytes.NewReader(data), in)
	case mt == "multipart/form-data":
		err = h.parseMultipart(bytes.NewReader(data), params["boundary"], in)
	default:
		err = h.parseRaw(r, in, invocations)
		in.image = data
	}
	if err != nil {
		return nil, err
	}
	mem.shrink(int64(len(in.image)))
	return in, nil
}

func (h *Handler) parseJSON(body io.Reader, in *predictInput) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var req predictJSON
	if err := dec.Decode(&req); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return err
		}
		return errorf(wire.CodeBadRequest, "malformed JSON: data after the object")
	}
	url, b64 := deref(req.ImageURL), deref(req.ImageBase64)
	switch {
	case url != "" && b64 != "":
		return errorf(wire.CodeBadRequest, "give image_url or image_base64, not both")
	case url != "":
		in.imageURL = url
	case b64 != "":
		data, err := decodeBase64(b64)
		if err != nil {
			return err
		}
		in.image = data
	default:
		return errorf(wire.CodeBadRequest, "no image: give image_url or image_base64")
	}
	if req.TopK != nil {
		if err := h.setTopK(in, *req.TopK); err != nil {
			return err
		}
	}
	if req.Threshold != nil {
		if err := setThreshold(in, *req.Threshold); err != nil {
			return err
		}
	}
	if req.Resize != nil {
		if err := setResize(in, *req.Resize); err != nil {
			return err
		}
	}
	if req.Model != nil {
		return setModel(in, *req.Model)
	}
	return nil
}

// jsonError sorts decoding failures: a wrong type is a bad parameter (422),
// the rest is a malformed request (400), a body too large stays itself.
func jsonError(err error) error {
	var (
		typeErr  *json.UnmarshalTypeError
		syntax   *json.SyntaxError
		maxBytes *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxBytes):
		return err
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return errorf(wire.CodeBadRequest, "the body must be a JSON object")
		}
		return paramError(typeErr.Field, "must be a JSON %s", jsonType(typeErr.Type.Kind().String()))
	case errors.As(err, &syntax):
		return errorf(wire.CodeBadRequest, "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.Is(err, io.EOF):
		return errorf(wire.CodeBadRequest, "empty body: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(wire.CodeBadRequest, "malformed JSON: the body ends early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no type for this; the message is stable.
		return errorf(wire.CodeBadRequest, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errorf(wire.CodeBadRequest, "malformed JSON: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "int", "float64":
		return "number"
	case "ptr", "string":
		return "string"
	}
	return kind
}

func (h *Handler) parseMultipart(body io.Reader, boundary string, in *predictInput) error {
	if boundary == "" {
		return errorf(wire.CodeBadRequest, "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(body, boundary)
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return multipartError(err)
		}
		name := part.FormName()
		if seen[name] {
			return errorf(wire.CodeBadRequest, "field %q given twice", name)
		}
		seen[name] = true
		if name == "image" {
			if in.image, err = io.ReadAll(part); err != nil {
				return multipartError(err)
			}
			continue
		}
		if part.FileName() != "" {
			return errorf(wire.CodeBadRequest, "field %q holds a file: send the picture in the field \"image\"", name)
		}
		if !optionNames[name] {
			return unknownParameter(name)
		}
		value, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return multipartError(err)
		}
		if len(value) > maxFieldBytes {
			return paramError(name, "longer than %d bytes", maxFieldBytes)
		}
		if err := h.setOption(in, name, string(value)); err != nil {
			return err
		}
	}
	if !seen["image"] {
		return errorf(wire.CodeBadRequest, "no image: send the picture in the multipart field \"image\"")
	}
	return nil
}

func multipartError(err error) error {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return err
	}
	return errorf(wire.CodeBadRequest, "malformed multipart body: %v", err)
}

func (h *Handler) parseRaw(r *http.Request, in *predictInput, invocations bool) error {
	opts, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errorf(wire.CodeBadRequest, "malformed query: %v", err)
	}
	if attrs := r.Header.Get(wire.HeaderAttributes); attrs != "" && invocations {
		extra, err := wire.ParseAttributes(attrs)
		if err != nil {
			return errorf(wire.CodeBadRequest, "%v", err)
		}
		for k, v := range extra {
			opts[k] = append(opts[k], v...)
		}
	}
	for name, values := range opts {
		if len(values) != 1 {
			return errorf(wire.CodeBadRequest, "parameter %q given %d times", name, len(values))
		}
		if err := h.setOption(in, name, values[0]); err != nil {
			return err
		}
	}
	return nil
}

// setOption sets a text option (query, form field, custom attribute).
func (h *Handler) setOption(in *predictInput, name, value string) error {
	switch name {
	case "top_k":
		k, err := strconv.Atoi(value)
		if err != nil {
			return paramError("top_k", "%q is not an integer", value)
		}
		return h.setTopK(in, k)
	case "threshold":
		t, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return paramError("threshold", "%q is not a number", value)
		}
		return setThreshold(in, t)
	case "resize":
		return setResize(in, value)
	case "model":
		return setModel(in, value)
	}
	return unknownParameter(name)
}

// optionNames are the options a request may set.
var optionNames = map[string]bool{"top_k": true, "threshold": true, "model": true, "resize": true}

func unknownParameter(name string) error {
	return errorf(wire.CodeBadRequest, "unknown parameter %q (known: top_k, threshold, model, resize)", name)
}

func (h *Handler) setTopK(in *predictInput, k int) error {
	if k < 1 || k > h.cfg.Limits.MaxTopK {
		return paramError("top_k", "%d is not in 1..%d", k, h.cfg.Limits.MaxTopK)
	}
	in.options.TopK = k
	return nil
}

func setThreshold(in *predictInput, t float64) error {
	if math.IsNaN(t) || t < 0 || t > 1 {
		return paramError("threshold", "%v is not in 0..1", t)
	}
	in.options.Threshold = float32(t)
	return nil
}

// setResize takes "fast" (the default: JPEG decoded at a reduced DCT scale)
// or "exact" (full decode, bilinear only, as the golden tensors).
func setResize(in *predictInput, v string) error {
	m, err := imageprep.ParseResize(v)
	if err != nil {
		return paramError("resize", "%.20q is not fast or exact", v)
	}
	in.options.Resize = m
	return nil
}

// setModel checks the name's shape only; whether it is served is the
// backend's answer (404).
func setModel(in *predictInput, name string) error {
	if len(name) > 128 || strings.ContainsFunc(name, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')
	}) {
		return paramError("model", "%.40q is not a model name", name)
	}
	in.model = name
	return nil
}

// decodeBase64 takes plain base64 (standard or URL alphabet, padded or
// not, line breaks allowed) or a data URL ("data:image/png;base64,…").
func decodeBase64(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, "data:"); ok {
		meta, data, found := strings.Cut(rest, ",")
		if !found || !strings.HasSuffix(meta, ";base64") {
			return nil, errorf(wire.CodeBadRequest, "image_base64: a data URL must be data:<type>;base64,<data>")
		}
		s = data
	}
	s = strings.Map(func(c rune) rune {
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			return -1
		}
		return c
	}, s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errorf(wire.CodeBadRequest, "image_base64 is not valid base64")
}

// innermost unwraps middleware writers down to the server's.
func innermost(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
