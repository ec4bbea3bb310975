// Command classifly classifies images with quantized TFLite models, in pure Go.
//
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
