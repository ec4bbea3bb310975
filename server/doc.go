// Package server runs Classifly's HTTP server in one of three roles — all
// (UI, API and models in one process), proxy (UI and API, inference
// forwarded to a model endpoint) and endpoint (the SageMaker container
// contract) — with the listener, model loading in the background, and the
// SIGTERM drain: stop accepting, fail /readyz, finish in-flight requests,
// return nil.
//
//	s, err := server.New(server.Options{Role: server.RoleAll, UI: web.Handler(), Logger: logger})
//	if err != nil { … }
//	err = s.Run(ctx) // returns when ctx is done and the drain is over
package server
