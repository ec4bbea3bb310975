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
// The API owns parsing, limits (upload rate, memory budget, admission),
// CORS, logs and metrics, and calls on leaf packages for the SSRF-safe
// fetch of image_url (urlfetch), authentication (auth) and per-client rate
// limits (ratelimit). Inference is a Backend: Local (classifiers in this
// process), or sagemaker.Backend and sagemaker/endpoint.Backend (a model
// endpoint through InvokeEndpoint or plain HTTP). Errors become statuses in
// one place (errors.go); the codes, the error body and the answers' JSON
// are package wire's.
//
// The package does not import the web UI: mount it with Config.Fallback.
//
//	local := api.NewLocal()
//	local.Add(classifier, loadTime, true)
//	local.Loaded(nil)
//	h, err := api.New(local, api.Config{Logger: logger})
//	http.ListenAndServe(":8080", h)
package api
