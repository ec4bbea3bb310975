package sagemaker

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"
	"golang.org/x/image/bmp"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/wire"
)

// TestCatThroughEmulatedInvokeEndpoint: API → Backend → SDK (SigV4) →
// SageMaker Runtime emulator → real container → Egyptian cat.
func TestCatThroughEmulatedInvokeEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	status, _, out := f.post(t, "/predict?top_k=3", "image/bmp", readImage(t, "cat.bmp"))
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, out)
	}
	if got := topLabel(t, out); got != "Egyptian cat" {
		t.Errorf("top label %q, want Egyptian cat", got)
	}
	if preds := out["predictions"].([]any); len(preds) != 3 {
		t.Errorf("%d predictions, want top_k=3", len(preds))
	}
	calls := f.emu.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d InvokeEndpoint calls, want 1: %+v", len(calls), calls)
	}
	c := calls[0]
	if c.Endpoint != testEndpoint || c.ContentType != "image/bmp" || c.Accept != "application/json" ||
		c.CustomAttributes != "top_k=3" || c.Status != http.StatusOK {
		t.Errorf("call %+v", c)
	}
	if invs := f.invocations(); len(invs) != 1 || invs[0].Attempts != 1 || invs[0].ErrorCode != "" || invs[0].Downscaled {
		t.Errorf("observed %+v", invs)
	}
}

// TestJSONRequestBecomesImageBytes: a JSON body with image_base64 reaches
// the endpoint as raw image/* bytes, with the options as custom attributes.
func TestJSONRequestBecomesImageBytes(t *testing.T) {
	f := newFixture(t, nil)
	body, _ := json.Marshal(map[string]any{"image_base64": base64.StdEncoding.EncodeToString(readImage(t, "cat.bmp")),
		"top_k": 2, "threshold": 0.01, "model": catModel})
	status, _, out := f.post(t, "/predict", "application/json", body)
	if status != http.StatusOK || topLabel(t, out) != "Egyptian cat" {
		t.Fatalf("status %d: %v", status, out)
	}
	c := f.emu.Calls()[0]
	if c.ContentType != "image/bmp" || c.CustomAttributes != "model="+catModel+"&threshold=0.01&top_k=2" {
		t.Errorf("call %+v", c)
	}
}

// TestBadInputs: each bad picture gets the status `classifly serve` gives
// it; what the header already shows is refused without a paid call.
func TestBadInputs(t *testing.T) {
	cat := readImage(t, "cat.bmp")
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		status            int
		code              wire.Code
		calls             int
	}{
		{"not an image", "image/png", []byte("just some text, not a picture"), 415, wire.CodeUnsupportedImage, 0},
		{"too many pixels", "image/png", hugePNGHeader(100_000, 100_000), 413, wire.CodeImageTooLarge, 0},
		// The BMP precheck runs before the call, as in `classifly serve`.
		{"truncated", "image/bmp", cat[:len(cat)/2], 400, wire.CodeInvalidImage, 0},
		{"heic", "image/heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1"), 415, wire.CodeUnsupportedImage, 0},
		{"unknown model", "image/bmp", cat, 404, wire.CodeUnknownModel, 1},
		{"bad top_k", "image/bmp", cat, 422, wire.CodeInvalidParameter, 0},
		{"empty", "image/bmp", nil, 400, wire.CodeInvalidImage, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			path := "/predict"
			switch tc.name {
			case "unknown model":
				path += "?model=no_such_model"
			case "bad top_k":
				path += "?top_k=0"
			}
			status, _, out := f.post(t, path, tc.contentType, tc.body)
			if status != tc.status || errorCode(out) != tc.code {
				t.Errorf("got %d %v, want %d %s", status, out, tc.status, tc.code)
			}
			if msg, _ := out["error"].(map[string]any)["message"].(string); tc.name == "heic" && !strings.Contains(msg, "unsupported image (heif)") {
				t.Errorf("HEIC answered %q, not the serve's words", msg)
			}
			if n := len(f.emu.Calls()); n != tc.calls {
				t.Errorf("%d InvokeEndpoint calls, want %d", n, tc.calls)
			}
		})
	}
}

// hugePNGHeader is a PNG whose IHDR declares w×h pixels, with no data.
func hugePNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestSageMakerErrorsMapped: each SageMaker failure gets its status,
// Retry-After and retry behaviour.
func TestSageMakerErrorsMapped(t *testing.T) {
	cat := readImage(t, "cat.bmp")
	for _, tc := range []struct {
		fault      string
		n          int
		status     int
		code       wire.Code
		retryAfter string
		attempts   int
	}{
		{"ThrottlingException", 100, 429, wire.CodeRateLimited, "1", 5},
		{"ModelNotReadyException", 100, 503, wire.CodeNotReady, "5", 5},
		{"ServiceUnavailable", 100, 503, wire.CodeBackendUnavailable, "1", 5},
		{"InternalFailure", 100, 503, wire.CodeBackendUnavailable, "1", 5},
		{"InternalDependencyException", 100, 503, wire.CodeBackendUnavailable, "1", 5},
		{"ValidationError", 100, 502, wire.CodeModelError, "", 1},
		// Transient faults that clear: retried to success.
		{"ThrottlingException", 2, 200, "", "", 3},
		{"ModelNotReadyException", 4, 200, "", "", 5},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			f := newFixture(t, nil)
			f.emu.Fail(tc.fault, tc.n)
			status, hdr, out := f.post(t, "/predict", "image/bmp", cat)
			if status != tc.status || errorCode(out) != tc.code || hdr.Get("Retry-After") != tc.retryAfter {
				t.Errorf("got %d %q Retry-After %q, want %d %q %q", status, errorCode(out), hdr.Get("Retry-After"),
					tc.status, tc.code, tc.retryAfter)
			}
			if invs := f.invocations(); len(invs) != 1 || invs[0].Attempts != tc.attempts {
				t.Errorf("observed %+v, want %d attempts", invs, tc.attempts)
			}
			if status == 200 && topLabel(t, out) != "Egyptian cat" {
				t.Errorf("wrong answer after retries: %v", out)
			}
		})
	}
}

// TestBadSignatureRefused proves the emulator checks SigV4: a client with
// the wrong secret is refused (and the good one, everywhere else, passes).
func TestBadSignatureRefused(t *testing.T) {
	f := newFixture(t, func(_ *Options, c *aws.Credentials) { c.SecretAccessKey = "wrong" })
	status, _, out := f.post(t, "/predict", "image/bmp", readImage(t, "cat.bmp"))
	if status != http.StatusBadGateway || errorCode(out) != wire.CodeModelError {
		t.Errorf("got %d %v, want 502", status, out)
	}
	if c := f.emu.Calls(); len(c) != 1 || c[0].ErrorType != "InvalidSignatureException" {
		t.Errorf("calls %+v", c)
	}
}

// TestLargePictureDownscaled: a picture over the 4 MB payload limit is sent
// as a smaller JPEG and still classified.
func TestLargePictureDownscaled(t *testing.T) {
	big := upscaledBMP(t, readImage(t, "cat.bmp"), 3)
	if len(big) <= MaxServerlessPayload {
		t.Fatalf("test picture is only %d bytes", len(big))
	}
	f := newFixture(t, nil)
	status, _, out := f.post(t, "/predict", "image/bmp", big)
	if status != http.StatusOK || topLabel(t, out) != "Egyptian cat" {
		t.Fatalf("status %d: %v", status, out)
	}
	c := f.emu.Calls()[0]
	if c.ContentType != "image/jpeg" || c.BodyBytes > MaxServerlessPayload {
		t.Errorf("sent %d bytes of %s", c.BodyBytes, c.ContentType)
	}
	if inv := f.invocations()[0]; !inv.Downscaled {
		t.Errorf("not reported as downscaled: %+v", inv)
	}
}

// upscaledBMP enlarges a picture k times (nearest neighbour) as a BMP.
func upscaledBMP(t *testing.T, data []byte, k int) []byte {
	img, err := imageprep.Decode(data, imageprep.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(image.Rect(0, 0, img.Width*k, img.Height*k))
	for y := 0; y < img.Height*k; y++ {
		for x := 0; x < img.Width*k; x++ {
			s := ((y/k)*img.Width + x/k) * 3
			d := out.PixOffset(x, y)
			copy(out.Pix[d:d+3], img.Pix[s:s+3])
			out.Pix[d+3] = 0xFF
		}
	}
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNoRetryPastDeadline: with too little time left, a retryable failure
// is answered at once instead of waiting for a retry that cannot finish.
func TestNoRetryPastDeadline(t *testing.T) {
	calls := 0
	fake := invokeFunc(func(ctx context.Context, in *sagemakerruntime.InvokeEndpointInput) (*sagemakerruntime.InvokeEndpointOutput, error) {
		calls++
		return nil, errors.New("connection reset by peer")
	})
	b, err := New(fake, Options{EndpointName: "e", Retry: RetryPolicy{MinAttempt: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = b.Classify(ctx, &api.Request{Image: readImage(t, "cat.bmp")})
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status() != http.StatusServiceUnavailable || calls != 1 {
		t.Errorf("err %v after %d calls, want one call and a 503", err, calls)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("took %v: it waited", d)
	}
}

type invokeFunc func(context.Context, *sagemakerruntime.InvokeEndpointInput) (*sagemakerruntime.InvokeEndpointOutput, error)

func (f invokeFunc) InvokeEndpoint(ctx context.Context, in *sagemakerruntime.InvokeEndpointInput,
	_ ...func(*sagemakerruntime.Options)) (*sagemakerruntime.InvokeEndpointOutput, error) {
	return f(ctx, in)
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, jitter: func() float64 { return 0.999 }}.withDefaults()
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if d := p.delay(i + 1); d < w*time.Millisecond*99/100 || d > w*time.Millisecond {
			t.Errorf("delay after attempt %d = %v, want just under %v", i+1, d, w*time.Millisecond)
		}
	}
	p.jitter = func() float64 { return 0 }
	if d := p.delay(3); d != 0 {
		t.Errorf("full jitter allows 0, got %v", d)
	}
	if d := p.delay(200); d < 0 || d > time.Second {
		t.Errorf("delay after attempt 200 = %v", d)
	}
}

func TestModelsListed(t *testing.T) {
	b, err := New(invokeFunc(nil), Options{EndpointName: "e", Models: []string{catModel, "custom"}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := b.Models(context.Background())
	if len(m) != 2 || !m[0].Default || m[0].Input.Width != 224 || m[1].Default || m[1].Name != "custom" {
		t.Errorf("models %+v", m)
	}
	if _, err := New(invokeFunc(nil), Options{}); err == nil {
		t.Error("no endpoint name accepted")
	}
}
