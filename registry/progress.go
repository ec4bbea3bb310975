package registry

// Event is the stage of a download that a [Progress] reports.
type Event int

// Download events, in the order they happen. Receiving repeats as bytes
// arrive; a download ends with exactly one of Done or Failed.
const (
	// Started: about to connect. Nothing is known yet but the URL, so a
	// caller can say what it is waiting for before the network answers.
	Started Event = iota
	// Receiving: the server answered (Size is now known, or -1) and
	// Received bytes are in.
	Receiving
	// Done: the file is complete, its sha256 verified and in place.
	Done
	// Failed: the download stopped; Err says why.
	Failed
)

// Progress reports one download to Resolver.OnProgress, which renders it
// (the CLI draws a bar on a terminal and writes lines elsewhere). Callbacks
// come from the downloading goroutine, one at a time.
type Progress struct {
	Event    Event
	File     string // the file's name, e.g. "mobilenet_v2_1.0_224_quant.tflite"
	URL      string
	Size     int64 // bytes announced by the server; -1 when unknown
	Received int64 // bytes received so far
	Err      error // with Failed
}

// report calls fn, if any, with p.
func report(fn func(Progress), p Progress) {
	if fn != nil {
		fn(p)
	}
}
