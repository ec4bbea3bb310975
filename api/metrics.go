package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/classifly/classifly/classify"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the API's Prometheus series, registered on its own registry
// (no global state, so several handlers can live in one process).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec   // by route, method, status
	duration *prometheus.HistogramVec // by route
	stages   *prometheus.HistogramVec // by stage
	inFlight prometheus.Gauge
}

// Latency buckets from 1 ms to ~30 s: inference takes a few to some tens
// of milliseconds with the fast kernels; decoding a large photo, fetches
// and queues add up to seconds.
var latencyBuckets = prometheus.ExponentialBucketsRange(0.001, 30, 20)

func newMetrics(reg *prometheus.Registry, b Backend, adm *admission, mem *budget, uploads *gate) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classifly_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "classifly_http_request_duration_seconds",
			Help:    "Time from request start to the end of the answer, by route pattern.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "classifly_predict_stage_duration_seconds",
			Help:    "Time spent in each stage of a successful classification: fetch, queue, decode, preprocess, inference, total.",
			Buckets: latencyBuckets,
		}, []string{"stage"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classifly_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.stages, m.inFlight,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "classifly_inferences_in_flight",
			Help: "Classifications running now (bounded by the concurrency limit).",
		}, func() float64 { return float64(adm.running.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "classifly_queue_depth",
			Help: "Requests waiting for a classification slot (bounded by the queue limit).",
		}, func() float64 { return float64(adm.queued.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "classifly_queue_capacity",
			Help: "Size of the classification queue.",
		}, func() float64 { return float64(cap(adm.waiting)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "classifly_memory_budget_bytes",
			Help: "Memory that requests may reserve for bodies and decoding (the budget less the process's headroom); 0 without a budget.",
		}, func() float64 {
			if mem == nil {
				return 0
			}
			return float64(mem.capacity)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "classifly_memory_reserved_bytes",
			Help: "Memory reserved now by requests in progress.",
		}, func() float64 { return float64(mem.reserved()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "classifly_uploads_in_progress",
			Help: "Request bodies being received (bounded by the uploads limit).",
		}, func() float64 { return float64(uploads.cur.Load()) }),
		&modelCollector{backend: b, desc: prometheus.NewDesc("classifly_model_load_seconds",
			"Time taken to load each served model.", []string{"model"}, nil)},
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// knownMethods keeps the method label bounded.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "OPTIONS": true, "PATCH": true}

func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	if !knownMethods[method] {
		method = "OTHER"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) observeStages(t classify.Timings, queue time.Duration) {
	for stage, d := range map[string]time.Duration{"fetch": t.Fetch, "decode": t.Decode, "preprocess": t.Preprocess,
		"inference": t.Inference, "total": t.Total} {
		if d > 0 || stage != "fetch" {
			m.stages.WithLabelValues(stage).Observe(d.Seconds())
		}
	}
	m.stages.WithLabelValues("queue").Observe(queue.Seconds())
}

// modelCollector reports the backend's model load times at scrape time.
type modelCollector struct {
	backend Backend
	desc    *prometheus.Desc
}

func (c *modelCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *modelCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	models, err := c.backend.Models(ctx)
	if err != nil {
		return
	}
	for _, m := range models {
		if m.LoadMS > 0 {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, m.LoadMS/1000, m.Name)
		}
	}
}
