package tflitetest

import (
	"archive/zip"
	"bytes"
	"maps"
	"slices"

	"github.com/classifly/classifly/tflite"
)

// Metadata is a ModelMetadata (tflite-support's metadata_schema.fbs) for a
// classifier: descriptive fields, the input's normalization and the
// output's label file, as Model Maker writes them.
type Metadata struct {
	Name, Description, Version, Author, License string
	InputName, OutputName                       string
	Mean, Std                                   []float32 // nil: no NormalizationOptions
	LabelFile                                   string    // "": no TENSOR_AXIS_LABELS file
	LabelLocale                                 string
}

// Field numbers and union tags of metadata_schema.fbs, as package tflite
// reads them.
const (
	mmName, mmDescription, mmVersion, mmSubgraphs, mmAuthor, mmLicense = 0, 1, 2, 3, 4, 5
	sgmInputs, sgmOutputs                                              = 2, 3
	tmName, tmProcessUnits, tmFiles                                    = 0, 4, 6
	afName, afType, afLocale                                           = 0, 2, 3
	puOptionsType, puOptions, puNormalization                          = 0, 1, 1
	normMean, normStd                                                  = 0, 1
)

// Bytes returns the ModelMetadata flatbuffer, with file identifier "M001".
func (md Metadata) Bytes() []byte {
	var in, out table
	in.ref(tmName, strRef(md.InputName))
	if md.Mean != nil || md.Std != nil {
		var norm, unit table
		if md.Mean != nil {
			norm.ref(normMean, float32sRef(md.Mean))
		}
		if md.Std != nil {
			norm.ref(normStd, float32sRef(md.Std))
		}
		unit.u8(puOptionsType, puNormalization, 0)
		unit.ref(puOptions, tableRef(norm))
		in.ref(tmProcessUnits, tablesRef([]table{unit}))
	}
	out.ref(tmName, strRef(md.OutputName))
	if md.LabelFile != "" {
		var f table
		f.ref(afName, strRef(md.LabelFile))
		f.u8(afType, uint8(tflite.FileTensorAxisLabels), 0)
		if md.LabelLocale != "" {
			f.ref(afLocale, strRef(md.LabelLocale))
		}
		out.ref(tmFiles, tablesRef([]table{f}))
	}
	var sg table
	sg.ref(sgmInputs, tablesRef([]table{in}))
	sg.ref(sgmOutputs, tablesRef([]table{out}))
	var root table
	for _, f := range []struct {
		field int
		s     string
	}{{mmName, md.Name}, {mmDescription, md.Description}, {mmVersion, md.Version}, {mmAuthor, md.Author}, {mmLicense, md.License}} {
		if f.s != "" {
			root.ref(f.field, strRef(f.s))
		}
	}
	root.ref(mmSubgraphs, tablesRef([]table{sg}))
	b := &builder{buf: append(make([]byte, 4), "M001"...)}
	b.link(0, b.table(root))
	return b.buf
}

// WithMetadata returns m with md in its TFLITE_METADATA buffer and files
// zipped and appended, as TFLite's metadata populator leaves a model.
func (m Model) WithMetadata(md Metadata, files map[string][]byte) Model {
	m.Metadata = append(append([]NamedBuffer(nil), m.Metadata...), NamedBuffer{Name: tflite.MetadataName, Data: md.Bytes()})
	if len(files) > 0 {
		m.Tail = Zip(files)
	}
	return m
}

// Zip returns a zip archive (stored, not compressed, as the populator
// writes label files) holding files.
func Zip(files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
