package tflite

import (
	"fmt"
)

// MetadataName is the Model.metadata entry whose buffer holds a
// ModelMetadata flatbuffer (tflite-support's metadata_schema.fbs), as
// Model Maker, TF Hub and the metadata writer leave it.
const MetadataName = "TFLITE_METADATA"

// MaxMetadataBytes bounds the ModelMetadata buffer read: real ones hold a
// few kilobytes of text; the labels themselves live in the appended zip.
const MaxMetadataBytes = 1 << 20

// AssociatedFileType is metadata_schema.fbs's AssociatedFileType.
type AssociatedFileType uint8

// The associated file types; classifiers use TENSOR_AXIS_LABELS.
const (
	FileUnknown                    AssociatedFileType = 0
	FileDescriptions               AssociatedFileType = 1
	FileTensorAxisLabels           AssociatedFileType = 2
	FileTensorValueLabels          AssociatedFileType = 3
	FileTensorAxisScoreCalibration AssociatedFileType = 4
	FileVocabulary                 AssociatedFileType = 5
)

// AssociatedFile is metadata_schema.fbs's AssociatedFile: a file packed in
// the zip appended to the model, named here.
type AssociatedFile struct {
	Name        string
	Description string
	Type        AssociatedFileType
	Locale      string
}

// TensorMetadata is what Classifly reads of a TensorMetadata.
type TensorMetadata struct {
	Name string
	// Mean and Std are the NormalizationOptions process unit: the model
	// expects (x - mean) / std of the raw value x, per channel when they
	// hold one value per channel, else one for all. Nil when absent.
	Mean, Std []float32
	// Min and Max are the Stats of the tensor's values, when given.
	Min, Max []float32
	Files    []AssociatedFile
}

// Metadata is what Classifly reads of a ModelMetadata: the descriptive
// fields and, for the first subgraph's first input and output tensors,
// normalization and associated files.
type Metadata struct {
	Name, Description, Version, Author, License string
	Input, Output                               TensorMetadata
	// Files are the model-level associated files.
	Files []AssociatedFile
}

// Field numbers of metadata_schema.fbs. A union field takes two slots: its
// type tag, then the value.
const (
	mmName, mmDescription, mmVersion, mmSubgraphs, mmAuthor, mmLicense, mmFiles = 0, 1, 2, 3, 4, 5, 6

	sgmInputs, sgmOutputs = 2, 3

	tmName, tmProcessUnits, tmStats, tmFiles = 0, 4, 5, 6

	afName, afDescription, afType, afLocale = 0, 1, 2, 3

	puOptionsType, puOptions = 0, 1
	puNormalization          = 1 // ProcessUnitOptions union tag

	normMean, normStd = 0, 1

	statsMax, statsMin = 0, 1
)

// ReadMetadata returns the model's TFLITE_METADATA, or nil when it has
// none. A malformed one is a *FormatError; one larger than
// MaxMetadataBytes too.
func (m *Model) ReadMetadata() (*Metadata, error) {
	var buf []byte
	found := false
	for _, e := range m.Metadata {
		if e.Name == MetadataName {
			buf, found = m.Buffers[e.Buffer], true
			break
		}
	}
	if !found {
		return nil, nil
	}
	if len(buf) > MaxMetadataBytes {
		return nil, &FormatError{Offset: -1, What: MetadataName, Msg: fmt.Sprintf("%d bytes, more than the %d a ModelMetadata may take", len(buf), MaxMetadataBytes)}
	}
	return parseMetadata(buf)
}

// parseMetadata decodes a ModelMetadata flatbuffer; errors' offsets are
// relative to its buffer.
func parseMetadata(buf []byte) (*Metadata, error) {
	if len(buf) < 8 {
		return nil, &FormatError{Offset: -1, What: MetadataName, Msg: fmt.Sprintf("%d bytes is too short for a ModelMetadata", len(buf))}
	}
	r := newReader(buf, decodeRatio*int64(len(buf))+decodeBase)
	t, err := r.root(MetadataName, "buffer", "ModelMetadata")
	if err != nil {
		return nil, err
	}
	md := &Metadata{}
	var e strs
	md.Name = e.s(t.string(mmName, "ModelMetadata.name"))
	md.Description = e.s(t.string(mmDescription, "ModelMetadata.description"))
	md.Version = e.s(t.string(mmVersion, "ModelMetadata.version"))
	md.Author = e.s(t.string(mmAuthor, "ModelMetadata.author"))
	md.License = e.s(t.string(mmLicense, "ModelMetadata.license"))
	if e.err != nil {
		return nil, e.err
	}
	if md.Files, err = associatedFiles(t, mmFiles, "ModelMetadata.associated_files"); err != nil {
		return nil, err
	}
	sgs, err := t.tables(mmSubgraphs, "ModelMetadata.subgraph_metadata", 0)
	if err != nil || sgs.n == 0 {
		return md, err
	}
	sg, err := sgs.at(0)
	if err != nil {
		return nil, err
	}
	if md.Input, err = firstTensor(sg, sgmInputs, "SubGraphMetadata.input_tensor_metadata"); err != nil {
		return nil, err
	}
	if md.Output, err = firstTensor(sg, sgmOutputs, "SubGraphMetadata.output_tensor_metadata"); err != nil {
		return nil, err
	}
	return md, nil
}

// strs keeps the first error of a run of string reads.
type strs struct{ err error }

func (e *strs) s(v string, err error) string {
	if e.err == nil {
		e.err = err
	}
	return v
}

func firstTensor(sg table, field int, what string) (TensorMetadata, error) {
	var tm TensorMetadata
	ts, err := sg.tables(field, what, 0)
	if err != nil || ts.n == 0 {
		return tm, err
	}
	t, err := ts.at(0)
	if err != nil {
		return tm, err
	}
	if tm.Name, err = t.string(tmName, "TensorMetadata.name"); err != nil {
		return tm, err
	}
	if tm.Files, err = associatedFiles(t, tmFiles, "TensorMetadata.associated_files"); err != nil {
		return tm, err
	}
	if st, ok, err := t.subtable(tmStats, "Stats"); err != nil {
		return tm, err
	} else if ok {
		if tm.Max, err = st.float32s(statsMax, "Stats.max"); err != nil {
			return tm, err
		}
		if tm.Min, err = st.float32s(statsMin, "Stats.min"); err != nil {
			return tm, err
		}
	}
	units, err := t.tables(tmProcessUnits, "TensorMetadata.process_units", 0)
	if err != nil {
		return tm, err
	}
	for k := 0; k < units.n; k++ {
		u, err := units.at(k)
		if err != nil {
			return tm, err
		}
		kind, err := u.uint8(puOptionsType, 0)
		if err != nil {
			return tm, err
		}
		if kind != puNormalization {
			continue
		}
		opts, ok, err := u.subtable(puOptions, "NormalizationOptions")
		if err != nil || !ok {
			return tm, err
		}
		if tm.Mean, err = opts.float32s(normMean, "NormalizationOptions.mean"); err != nil {
			return tm, err
		}
		if tm.Std, err = opts.float32s(normStd, "NormalizationOptions.std"); err != nil {
			return tm, err
		}
		if err := checkNormalization(tm.Mean, tm.Std); err != nil {
			return tm, formatErr(opts.pos, "NormalizationOptions", "%v", err)
		}
	}
	return tm, nil
}

// checkNormalization accepts what TFLite's support library does: mean and
// std of equal length (one value, or one per channel), std non-zero, all
// finite.
func checkNormalization(mean, std []float32) error {
	if len(mean) == 0 || len(mean) != len(std) {
		return fmt.Errorf("%d means and %d standard deviations", len(mean), len(std))
	}
	for i := range mean {
		if mean[i] != mean[i] || std[i] != std[i] || std[i] == 0 || mean[i] > 1e30 || mean[i] < -1e30 || std[i] > 1e30 || std[i] < -1e30 {
			return fmt.Errorf("mean %v, std %v", mean[i], std[i])
		}
	}
	return nil
}

func associatedFiles(t table, field int, what string) ([]AssociatedFile, error) {
	files, err := decodeTables(t, field, what, parseAssociatedFile)
	if len(files) == 0 {
		return nil, err // an absent or empty list is nil
	}
	return files, err
}

func parseAssociatedFile(t table) (AssociatedFile, error) {
	var f AssociatedFile
	var e strs
	f.Name = e.s(t.string(afName, "AssociatedFile.name"))
	f.Description = e.s(t.string(afDescription, "AssociatedFile.description"))
	f.Locale = e.s(t.string(afLocale, "AssociatedFile.locale"))
	if e.err != nil {
		return f, e.err
	}
	typ, err := t.int8(afType, 0)
	f.Type = AssociatedFileType(typ)
	return f, err
}

// LabelFile returns the output tensor's first TENSOR_AXIS_LABELS file,
// preferring one without a locale or in English, or false.
func (md *Metadata) LabelFile() (AssociatedFile, bool) {
	var best AssociatedFile
	found := false
	for _, f := range md.Output.Files {
		if f.Type != FileTensorAxisLabels {
			continue
		}
		if !found || (best.Locale != "" && best.Locale != "en" && (f.Locale == "" || f.Locale == "en")) {
			best, found = f, true
		}
	}
	return best, found
}
