package wire

import (
	"fmt"
	"net/url"
	"strconv"
)

// HeaderAttributes carries the options of a raw-image /invocations request:
// SageMaker's InvokeEndpoint passes this header (its CustomAttributes
// field) through to the container and strips the query. The value is
// URL-query encoded: "model=M&top_k=5&threshold=0.1".
const HeaderAttributes = "X-Amzn-SageMaker-Custom-Attributes"

// Options are what a client chooses for one picture; zero values are left
// to the server.
type Options struct {
	Model     string
	TopK      int
	Threshold float32
	Resize    string // "fast" or "exact"; "" leaves the server's default (fast)
}

// Attributes encodes o for HeaderAttributes, omitting the zero values.
func (o Options) Attributes() string {
	v := url.Values{}
	if o.Model != "" {
		v.Set("model", o.Model)
	}
	if o.TopK > 0 {
		v.Set("top_k", strconv.Itoa(o.TopK))
	}
	if o.Threshold > 0 {
		v.Set("threshold", strconv.FormatFloat(float64(o.Threshold), 'g', -1, 32))
	}
	if o.Resize != "" {
		v.Set("resize", o.Resize)
	}
	return v.Encode()
}

// ParseAttributes decodes a HeaderAttributes value into its parameters;
// the API checks each as it checks a query parameter.
func ParseAttributes(s string) (url.Values, error) {
	v, err := url.ParseQuery(s)
	if err != nil {
		return nil, fmt.Errorf("malformed %s: %w", HeaderAttributes, err)
	}
	return v, nil
}
