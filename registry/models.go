package registry

import (
	"slices"
	"strings"
)

// DefaultModel is the model used when none is named.
const DefaultModel = "mobilenet_v2_1.0_224_quant"

// DefaultBaseURL is where the known models are published: the public
// google-coral/test_data repository (Apache License 2.0 for the models).
const DefaultBaseURL = "https://github.com/google-coral/test_data/raw/master"

// Model describes one known model and its label file.
type Model struct {
	Name         string // file name without .tflite, e.g. "mobilenet_v2_1.0_224_quant"
	File         string // "mobilenet_v2_1.0_224_quant.tflite"
	Labels       string // label file name, e.g. "imagenet_labels.txt"
	SHA256       string // hex sha256 of File
	LabelsSHA256 string // hex sha256 of Labels
	URL          string // public URL of File
	LabelsURL    string // public URL of Labels
	InputSize    int    // width and height of the square RGB input
	Description  string // one line for `classifly models`
}

// Label files and their checksums, shared by several models.
const (
	imagenetLabels       = "imagenet_labels.txt"
	imagenetLabelsSHA256 = "b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1"
	birdLabels           = "inat_bird_labels.txt"
	birdLabelsSHA256     = "a16108dfe3f8daff015b87a97ab6a17e717b9b1bccd719f6d8f747746d7b9277"
	insectLabels         = "inat_insect_labels.txt"
	insectLabelsSHA256   = "e5e03664a8a70eafc3308268eb8cd6aa28652912735bfdd45e436ae9617155bc"
)

// Known returns the known models, DefaultModel first, then by name. The slice
// is new at every call, so callers may sort or change it freely.
func Known() []Model {
	models := []Model{
		known(DefaultModel, "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776",
			imagenetLabels, imagenetLabelsSHA256, 224,
			"MobileNet v2 1.0, ImageNet 1000 classes, uint8 quantization-aware (default)"),
		known("mobilenet_v1_0.25_128_quant", "cb273c23ee76374b05b9583177e28aa19744858a7679c56a250e83d0333da785",
			imagenetLabels, imagenetLabelsSHA256, 128,
			"MobileNet v1 0.25, ImageNet 1000 classes, uint8 quantization-aware (smallest, fastest)"),
		known("mobilenet_v1_0.5_160_quant", "3cc6d2ca460abd2e0f699a6d0d2550c6b61c6e3b0e27a3616e384ea74cb86f43",
			imagenetLabels, imagenetLabelsSHA256, 160,
			"MobileNet v1 0.5, ImageNet 1000 classes, uint8 quantization-aware"),
		known("mobilenet_v1_0.75_192_quant", "41daeb22fdcf947e0e5ec32373aa9df7c31f3ef45dbd0ef7b5940fbce3c20f6a",
			imagenetLabels, imagenetLabelsSHA256, 192,
			"MobileNet v1 0.75, ImageNet 1000 classes, uint8 quantization-aware"),
		known("mobilenet_v2_1.0_224_inat_bird_quant", "350fcd8cf1df1560060d464595dfed8b174b05792788052896004848d9ad04f9",
			birdLabels, birdLabelsSHA256, 224,
			"MobileNet v2 1.0, iNaturalist 964 bird species, uint8 quantization-aware"),
		known("mobilenet_v2_1.0_224_inat_insect_quant", "0ebaeb474dccf56b8b818b014f0d6a8e22b35a45b491a659f0b5405c9c838282",
			insectLabels, insectLabelsSHA256, 224,
			"MobileNet v2 1.0, iNaturalist 1021 insect species, uint8 quantization-aware"),
		known("tf2_mobilenet_v2_1.0_224_ptq", "5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c",
			imagenetLabels, imagenetLabelsSHA256, 224,
			"MobileNet v2 1.0, ImageNet 1000 classes, int8 per-channel post-training (TF2)"),
	}
	return models
}

func known(name, sum, labels, labelsSum string, size int, desc string) Model {
	file := name + ".tflite"
	return Model{
		Name:         name,
		File:         file,
		Labels:       labels,
		SHA256:       sum,
		LabelsSHA256: labelsSum,
		URL:          DefaultBaseURL + "/" + file,
		LabelsURL:    DefaultBaseURL + "/" + labels,
		InputSize:    size,
		Description:  desc,
	}
}

// Lookup returns the known model with the given name. The name may carry the
// .tflite extension.
func Lookup(name string) (Model, bool) {
	name = strings.TrimSuffix(name, ".tflite")
	models := Known()
	i := slices.IndexFunc(models, func(m Model) bool { return m.Name == name })
	if i < 0 {
		return Model{}, false
	}
	return models[i], true
}

// Names returns the known model names, DefaultModel first.
func Names() []string {
	var names []string
	for _, m := range Known() {
		names = append(names, m.Name)
	}
	return names
}
