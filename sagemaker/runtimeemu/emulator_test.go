package runtimeemu

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime/types"
	"github.com/aws/smithy-go"
)

var creds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}

// setup serves the emulator in front of a container handler and returns
// an SDK client pointed at it.
func setup(t *testing.T, container http.HandlerFunc) (*Emulator, *sagemakerruntime.Client) {
	t.Helper()
	c := httptest.NewServer(container)
	t.Cleanup(c.Close)
	e := &Emulator{Endpoints: map[string]string{"ep": c.URL}, Credentials: creds, Region: "us-west-2", MaxPayload: 1000}
	s := httptest.NewServer(e)
	t.Cleanup(s.Close)
	client := sagemakerruntime.New(sagemakerruntime.Options{
		Region: "us-west-2", BaseEndpoint: aws.String(s.URL), Retryer: aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
	})
	return e, client
}

func invoke(client *sagemakerruntime.Client, endpoint string, body []byte) (*sagemakerruntime.InvokeEndpointOutput, error) {
	return client.InvokeEndpoint(context.Background(), &sagemakerruntime.InvokeEndpointInput{
		EndpointName: aws.String(endpoint), Body: body, ContentType: aws.String("image/png"),
		Accept: aws.String("application/json"), CustomAttributes: aws.String("top_k=1"),
	})
}

// container is a stand-in model container: /ping ok; /invocations echoes
// what reached it, or fails when the body says so.
func container(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ping":
		w.WriteHeader(http.StatusOK)
	case "/invocations":
		body, _ := io.ReadAll(r.Body)
		if bytes.Equal(body, []byte("fail")) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnsupportedMediaType)
			io.WriteString(w, `{"error":{"code":"unsupported_image","message":"no"}}`)
			return
		}
		// Only the headers InvokeEndpoint carries arrive.
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Amz-Date") != "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ct":"`+r.Header.Get("Content-Type")+`","attrs":"`+r.Header.Get("X-Amzn-SageMaker-Custom-Attributes")+`"}`)
	}
}

func TestInvokeEndpointShapes(t *testing.T) {
	e, client := setup(t, container)

	out, err := invoke(client, "ep", []byte("png bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Body) != `{"ct":"image/png","attrs":"top_k=1"}` || aws.ToString(out.ContentType) != "application/json" ||
		aws.ToString(out.InvokedProductionVariant) != "AllTraffic" {
		t.Errorf("output %q %v %v", out.Body, aws.ToString(out.ContentType), aws.ToString(out.InvokedProductionVariant))
	}

	_, err = invoke(client, "ep", []byte("fail"))
	var me *types.ModelError
	if !errors.As(err, &me) || aws.ToInt32(me.OriginalStatusCode) != 415 ||
		!strings.Contains(aws.ToString(me.OriginalMessage), "unsupported_image") ||
		!strings.HasSuffix(aws.ToString(me.LogStreamArn), "/aws/sagemaker/Endpoints/ep") {
		t.Errorf("container 415: %v (%+v)", err, me)
	}

	_, err = invoke(client, "nope", []byte("x"))
	var ve *types.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "Endpoint nope of account") {
		t.Errorf("unknown endpoint: %v", err)
	}

	_, err = invoke(client, "ep", bytes.Repeat([]byte("x"), 1001))
	if !errors.As(err, &ve) {
		t.Errorf("payload over the limit: %v", err)
	}

	e.Fail("ThrottlingException", 1)
	e.Fail("ModelNotReadyException", 1)
	_, err = invoke(client, "ep", []byte("x"))
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
		t.Errorf("injected throttling: %v", err)
	}
	_, err = invoke(client, "ep", []byte("x"))
	var nr *types.ModelNotReadyException
	if !errors.As(err, &nr) {
		t.Errorf("injected not ready: %v", err)
	}
	if _, err = invoke(client, "ep", []byte("x")); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	if n := len(e.Calls()); n != 7 {
		t.Errorf("%d calls recorded, want 7", n)
	}
}

// TestContainerNotReady: until /ping passes, invocations get
// ModelNotReadyException, as while a serverless endpoint provisions.
func TestContainerNotReady(t *testing.T) {
	var ready atomic.Bool
	_, client := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ping" && !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		container(w, r)
	})
	_, err := invoke(client, "ep", []byte("x"))
	var nr *types.ModelNotReadyException
	if !errors.As(err, &nr) {
		t.Fatalf("before /ping passes: %v", err)
	}
	ready.Store(true)
	if _, err := invoke(client, "ep", []byte("x")); err != nil {
		t.Errorf("after /ping passes: %v", err)
	}
}

func TestSignatureChecked(t *testing.T) {
	e, _ := setup(t, container)
	s := httptest.NewServer(e)
	defer s.Close()
	for name, c := range map[string]aws.Credentials{
		"wrong secret": {AccessKeyID: creds.AccessKeyID, SecretAccessKey: "other", SessionToken: creds.SessionToken},
		"wrong key":    {AccessKeyID: "AKIDOTHER", SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken},
		"no token":     {AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
	} {
		client := sagemakerruntime.New(sagemakerruntime.Options{
			Region: "us-west-2", BaseEndpoint: aws.String(s.URL), Retryer: aws.NopRetryer{},
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil }),
		})
		_, err := invoke(client, "ep", []byte("x"))
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
			t.Errorf("%s: %v", name, err)
		}
	}
	resp, err := http.Post(s.URL+"/endpoints/ep/invocations", "image/png", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned request: %s", resp.Status)
	}
}

func TestEndpointName(t *testing.T) {
	for path, want := range map[string]string{
		"/endpoints/my-ep/invocations": "my-ep", "/endpoints//invocations": "", "/endpoints/a/b/invocations": "",
		"/models": "", "/endpoints/x/async-invocations": "",
	} {
		if got, _ := endpointName(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}
