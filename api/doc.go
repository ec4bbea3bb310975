// Package api is Classifly's HTTP API: one http.Handler serving
//
//	POST /predict        classify a picture (JSON with image_url or image_base64,
//	                     multipart field "image", or raw image bytes)
//	GET  /healthz        alive
//	GET  /readyz         models loaded (503 while loading or draining)
//	GET  /models         served models, the default first
//	GET  /metrics        Prometheus metrics
//	GET  /openapi.json   OpenAPI 3.1 description
//	GET  /ping           SageMaker container health (Config.SageMaker)
//	POST /invocations    SageMaker container inference (Config.SageMaker)
//
// The API owns parsing, limits, the SSRF-safe fetch of image_url, admission
// control, auth, rate limits, CORS, logs and metrics; inference is a
// Backend: Local (classifiers in this process) or Remote (a model endpoint
// over HTTP). A Lambda adapter and a SageMaker backend plug in the same way.
// Errors become statuses in one place (errors.go) and always read
// {"error":{"code","message"}}.
//
// The package does not import the web UI: mount it with Config.Fallback.
//
//	local := api.NewLocal()
//	local.Add(classifier, loadTime, true)
//	local.Loaded(nil)
//	h, err := api.New(local, api.Config{Logger: logger})
//	http.ListenAndServe(":8080", h)
package api
