// Package models carries the default model inside the binary, so that
// `classifly serve` and `classifly predict` work offline on a fresh clone with
// no download and no data folder. See SOURCE.md for where the files come
// from and their licence.
//
// Only the program that assembles a binary imports this package: a binary that
// never runs the default model in-process (the Lambda in front of SageMaker)
// does not pay for its 3.6 MB.
package models

import (
	_ "embed" // the model and its labels are compiled in
)

// Name is the registry name of the embedded model.
const Name = "mobilenet_v2_1.0_224_quant"

// SHA256 is the checksum of the embedded .tflite file, the same as the
// registry's entry for Name.
const SHA256 = "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776"

//go:embed mobilenet_v2_1.0_224_quant.tflite
var tflite []byte

//go:embed imagenet_labels.txt
var labels []byte

// Default returns the embedded model file and its label file (one label per
// line). The slices are shared: callers must not modify them.
func Default() (model, labelFile []byte) { return tflite, labels }
