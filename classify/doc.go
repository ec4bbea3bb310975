// Package classify is the image-classification pipeline: image bytes in,
// top-k labelled scores out. It joins image preparation (package imageprep),
// the engine (package engine) and the model's labels, and is what the CLI and
// the servers call.
package classify
