package runtimeemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signingName is SageMaker Runtime's SigV4 service name.
const signingName = "sagemaker"

// verify checks the request's SigV4 signature (Authorization header) by
// signing the same canonical request again with the known secret key.
func (e *Emulator) verify(r *http.Request, body []byte) error {
	if e.Credentials.AccessKeyID == "" {
		return nil
	}
	auth := r.Header.Get("Authorization")
	scheme, params, ok := strings.Cut(auth, " ")
	if !ok || scheme != "AWS4-HMAC-SHA256" {
		return errors.New("missing or non-SigV4 Authorization header")
	}
	fields := map[string]string{}
	for _, p := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return fmt.Errorf("malformed credential scope %q", fields["Credential"])
	}
	switch {
	case scope[0] != e.Credentials.AccessKeyID:
		return fmt.Errorf("unknown access key %q", scope[0])
	case scope[2] != e.region():
		return fmt.Errorf("signed for region %q, want %q", scope[2], e.region())
	case scope[3] != signingName:
		return fmt.Errorf("signed for service %q, want %q", scope[3], signingName)
	}
	if e.Credentials.SessionToken != "" && r.Header.Get("X-Amz-Security-Token") != e.Credentials.SessionToken {
		return errors.New("missing or wrong session token")
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return errors.New("missing or malformed X-Amz-Date")
	}
	if d := time.Since(when); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("signature expired: X-Amz-Date is more than 5 minutes away")
	}

	// The request as the client signed it: the signed headers only.
	clone, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.EscapedPath(), nil)
	if err != nil {
		return err
	}
	clone.URL.RawQuery = r.URL.RawQuery
	clone.ContentLength = int64(len(body))
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		switch h {
		case "host", "content-length":
		default:
			for _, v := range r.Header.Values(h) {
				clone.Header.Add(h, v)
			}
		}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return errors.New("X-Amz-Content-Sha256 does not match the body")
	}
	if err := v4.NewSigner().SignHTTP(r.Context(), e.Credentials, clone, payloadHash, signingName, e.region(), when); err != nil {
		return err
	}
	_, wantParams, _ := strings.Cut(clone.Header.Get("Authorization"), " ")
	want := map[string]string{}
	for _, p := range strings.Split(wantParams, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		want[k] = v
	}
	if want["SignedHeaders"] != fields["SignedHeaders"] ||
		subtle.ConstantTimeCompare([]byte(want["Signature"]), []byte(fields["Signature"])) != 1 {
		return errors.New("the request signature we calculated does not match the signature you provided")
	}
	return nil
}
