// Package engine runs quantized TensorFlow Lite models.
//
// Load parses a .tflite file (package tflite), checks every operator's tensors,
// and plans the run once: requantization multipliers, constant data views and a
// memory plan that packs all activations into one arena, reusing space between
// tensors whose lifetimes do not overlap. Run then executes the operators in
// order with the kernels of internal/kernels, on the vector backend chosen by
// Options.Backend (the best this CPU has by default), or with the readable
// reference kernels alone (Options.Reference). Either way the integer
// arithmetic is TFLite's, so outputs are bit-identical to TFLite's builtin
// kernels.
//
// A *Model is immutable after Load and safe for concurrent use: each Run takes
// an arena from a pool. Close waits for the runs in flight, then stops the
// worker goroutines; runs after it return ErrClosed.
//
//	m, err := engine.LoadFile("mobilenet_v2_1.0_224_quant.tflite", engine.Options{})
//	out := make([]byte, m.Output().Bytes())
//	err = m.Run(ctx, in, out)
package engine
