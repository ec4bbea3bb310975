// Package web is Classifly's browser interface: a page where a person picks,
// drops or pastes a picture (or gives its URL) and sees the model's top-5
// labels with scores.
//
// The files under static/ are plain HTML, CSS and JavaScript with no build
// step and nothing fetched from elsewhere, so the same folder is embedded in
// the binary (served by [Handler]) and uploaded as is to S3. The page calls
// the API at the base URL set in static/config.js; empty means the page's own
// origin, which is how `classifly serve` runs it:
//
//	mux.Handle("POST /predict", api)
//	mux.Handle("/", web.Handler())
//
// This package imports only the standard library, and the API must not import
// it, so binaries without a UI (the Lambda proxy) stay lean.
package web
