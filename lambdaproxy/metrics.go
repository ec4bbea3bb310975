package lambdaproxy

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/classifly/classifly/sagemaker"
)

// DefaultNamespace is the CloudWatch namespace of the metrics.
const DefaultNamespace = "Classifly"

// Metric names, in the namespace, with the dimension FunctionName. The
// Terraform alarms and dashboard use the same names.
const (
	MetricRequests        = "Requests"        // every invocation
	MetricLatency         = "Latency"         // ms, event in to response out
	MetricErrors          = "Errors"          // 5xx answers
	MetricClientErrors    = "ClientErrors"    // 4xx answers
	MetricThrottled       = "Throttled"       // 429 answers
	MetricBackendLatency  = "BackendLatency"  // ms spent in InvokeEndpoint calls
	MetricBackendAttempts = "BackendAttempts" // InvokeEndpoint calls for one request
)

// Metrics writes CloudWatch Embedded Metric Format lines: one JSON object
// per request on its own line of the function's output, which CloudWatch
// Logs turns into metrics without any API call.
type Metrics struct {
	Namespace    string
	FunctionName string // the dimension's value
	Inference    string // "sagemaker" or "lambda", a property of each line

	mu  sync.Mutex
	out io.Writer
	now func() time.Time
}

// NewMetrics writes to out (the function's stdout).
func NewMetrics(out io.Writer, namespace, functionName, inference string) *Metrics {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return &Metrics{Namespace: namespace, FunctionName: functionName, Inference: inference, out: out, now: time.Now}
}

// requestStats collects what the backend reports during one request.
type requestStats struct {
	mu      sync.Mutex
	invoked bool
	inv     sagemaker.Invocation
}

type statsKey struct{}

// ObserveInvocation is the sagemaker.Options.Observe hook: it files the
// backend's numbers with the request they belong to.
func ObserveInvocation(ctx context.Context, inv sagemaker.Invocation) {
	s, _ := ctx.Value(statsKey{}).(*requestStats)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invoked, s.inv = true, inv
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Emit writes the line for one request.
func (m *Metrics) Emit(ev events.APIGatewayV2HTTPRequest, status int, took time.Duration, s *requestStats) {
	line := map[string]any{
		"FunctionName":     m.FunctionName,
		MetricRequests:     1,
		MetricLatency:      float64(took.Microseconds()) / 1000,
		MetricErrors:       b2i(status >= 500),
		MetricClientErrors: b2i(status >= 400 && status < 500),
		MetricThrottled:    b2i(status == 429),
		// Properties: searchable in Logs Insights, not metrics.
		"status":    status,
		"route":     ev.RouteKey,
		"requestId": ev.RequestContext.RequestID,
		"inference": m.Inference,
	}
	metrics := []emfMetric{
		{MetricRequests, "Count"}, {MetricLatency, "Milliseconds"}, {MetricErrors, "Count"},
		{MetricClientErrors, "Count"}, {MetricThrottled, "Count"},
	}
	s.mu.Lock()
	if s.invoked {
		line[MetricBackendLatency] = float64(s.inv.Latency.Microseconds()) / 1000
		line[MetricBackendAttempts] = s.inv.Attempts
		if s.inv.ErrorCode != "" {
			line["backendError"] = s.inv.ErrorCode
		}
		if s.inv.Downscaled {
			line["downscaled"] = true
		}
		metrics = append(metrics, emfMetric{MetricBackendLatency, "Milliseconds"}, emfMetric{MetricBackendAttempts, "Count"})
	}
	s.mu.Unlock()
	line["_aws"] = emfMeta{
		Timestamp: m.now().UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace: m.Namespace, Dimensions: [][]string{{"FunctionName"}}, Metrics: metrics,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.out.Write(append(b, '\n'))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
