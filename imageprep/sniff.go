package imageprep

// Format names an image file format.
type Format string

// The formats Decode handles.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	BMP  Format = "bmp"
	WebP Format = "webp"
)

// signature is a file's magic bytes; '?' in magic matches any byte (no
// signature below contains a literal '?').
type signature struct {
	magic     string
	format    Format
	supported bool
}

// signatures lists what sniff recognises. The unsupported ones are here so that
// a TIFF or an iPhone HEIC gets "unsupported (heif)" rather than "unknown".
// The sources are the specifications' signature sections: JPEG (T.81 SOI and
// a marker), PNG (§5.2), GIF (89a §17), BMP ("BM"), WebP (RIFF container),
// TIFF 6.0 §2, ISO BMFF ftyp brands for HEIF and AVIF, JPEG XL (18181-2).
func signatures() []signature {
	return []signature{
		{"\xFF\xD8\xFF", JPEG, true},
		{"\x89PNG\r\n\x1A\n", PNG, true},
		{"GIF87a", GIF, true},
		{"GIF89a", GIF, true},
		{"BM", BMP, true},
		{"RIFF????WEBP", WebP, true},
		{"II*\x00", "tiff", false},
		{"MM\x00*", "tiff", false},
		{"????ftypheic", "heif", false},
		{"????ftypheix", "heif", false},
		{"????ftyphevc", "heif", false},
		{"????ftypmif1", "heif", false},
		{"????ftypmsf1", "heif", false},
		{"????ftypavif", "avif", false},
		{"????ftypavis", "avif", false},
		{"\xFF\x0A", "jxl", false},
		{"\x00\x00\x00\x0CJXL \r\n\x87\n", "jxl", false},
	}
}

// sniff identifies the format of data from its first bytes, never from a file
// name or a declared content type, which an uploader controls.
func sniff(data []byte) (Format, error) {
	if len(data) == 0 {
		return "", &FormatError{Kind: ErrEmpty}
	}
	for _, s := range signatures() {
		full, prefix := match(data, s.magic)
		switch {
		case full && s.supported:
			return s.format, nil
		case full:
			return "", &UnsupportedError{Format: s.format, Kind: ErrUnsupported}
		case prefix && s.supported && len(data) >= 2:
			// Two or more bytes of a signature and then nothing: a cut file
			// rather than a stranger.
			return "", &FormatError{Format: s.format, Kind: ErrTruncated}
		}
	}
	return "", &UnsupportedError{Kind: ErrUnknownFormat}
}

// match reports whether data starts with magic (full), or is shorter than
// magic and agrees with it as far as it goes (prefix).
func match(data []byte, magic string) (full, prefix bool) {
	n := min(len(data), len(magic))
	for i := 0; i < n; i++ {
		if magic[i] != '?' && magic[i] != data[i] {
			return false, false
		}
	}
	return len(data) >= len(magic), len(data) < len(magic)
}
