// Package tflite reads TensorFlow Lite model files (.tflite flatbuffers).
//
// It implements its own bounds-checked accessors for the part of the TFLite
// schema (tensorflow/lite/schema/schema.fbs) that inference needs: operator
// codes, one subgraph's tensors, operators and their builtin options, and the
// constant buffers. Every offset, length and index is checked against the file,
// so a truncated, corrupted or hostile file gives a *FormatError instead of a
// panic, a hang or an allocation out of proportion to the file's size. As
// offsets may point many times at the same data, what a file decodes to is
// also bounded: a few times its size.
//
// Parsing copies nothing large: constant tensor data are sub-slices of the
// file's bytes.
package tflite
