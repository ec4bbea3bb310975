// Command classifly classifies images with quantized TFLite models, in pure Go.
//
//	classifly serve                      # web UI and API on :8080, default model built in
//	classifly predict cat.jpg
//	classifly predict --model mobilenet_v1_0.25_128_quant --top 3 --json photos/
//	classifly run --model m.tflite --in x.input.bin --out x.output.bin
//	classifly models
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/classifly/classifly/cli"
)

// version is set by releases: go build -ldflags "-X main.version=v1.2.3".
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Version: version})
	stop()
	os.Exit(code)
}
