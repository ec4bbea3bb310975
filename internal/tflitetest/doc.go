// Package tflitetest writes small TensorFlow Lite models in memory, for tests
// that need a model with one or two operators and exactly known tensors.
//
// It is the inverse of package tflite's reader for the part of the schema
// (tensorflow/lite/schema/schema.fbs) that the reader understands: a Model
// lists tensors, with their constant data and quantization, and operators in
// execution order; Bytes lays them out as a .tflite flatbuffer with one
// subgraph. Every field is written with the field number schema.fbs gives it,
// so the bytes are a valid model for any TFLite reader, not only ours.
//
//	m := tflitetest.Model{
//		Tensors: []tflitetest.Tensor{
//			{Name: "in", Type: tflite.UInt8, Shape: []int32{1, 4}, Scale: []float32{0.5}, ZeroPoint: []int64{128}},
//			{Name: "out", Type: tflite.UInt8, Shape: []int32{4}, Scale: []float32{0.5}, ZeroPoint: []int64{128}},
//		},
//		Ops:     []tflitetest.Op{{Code: tflite.OpReshape, Inputs: []int32{0}, Outputs: []int32{1}}},
//		Inputs:  []int32{0},
//		Outputs: []int32{1},
//	}
//	model, err := engine.Load(m.Bytes(), engine.Options{})
package tflitetest
