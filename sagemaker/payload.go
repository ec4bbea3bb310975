package sagemaker

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"

	"github.com/classifly/classifly/imageprep"
)

// downscaleQuality is the JPEG quality of downscaled pictures: far above
// what a 224×224 classifier can tell apart, far below 4 MB at 1024 px.
const downscaleQuality = 90

// payload returns the body and content type to send for a picture: the
// bytes as they came when they fit, else a downscaled JPEG. It probes the
// header as `classifly serve` does (imageprep.Probe), so a picture that is
// not an image, is in an unsupported format, declares too many pixels or
// fails a container check is refused here, in the same words, without a
// paid call; the container judges the rest (corrupt pixel data).
func (b *Backend) payload(data []byte) (body []byte, contentType string, downscaled bool, err error) {
	opts := imageprep.Options{MaxPixels: b.opts.MaxPixels, MaxPixelsJPEG: b.opts.MaxPixelsJPEG}
	hdr, err := imageprep.Probe(data, opts)
	if err != nil {
		return nil, "", false, err
	}
	if len(data) <= b.opts.MaxPayload {
		return data, "image/" + string(hdr.Format), false, nil
	}
	small, err := downscale(data, hdr, opts, b.opts.DownscaleTo)
	if err != nil {
		return nil, "", false, err
	}
	if len(small) > b.opts.MaxPayload {
		return nil, "", false, errors.New("sagemaker: downscaled picture still over the payload limit")
	}
	return small, "image/jpeg", true, nil
}

// downscale decodes a picture (EXIF orientation applied; a JPEG at the
// smallest DCT scale whose shorter side still covers the result's) and
// re-encodes it as a JPEG whose longest side is at most maxSide.
func downscale(data []byte, hdr imageprep.Header, opts imageprep.Options, maxSide int) ([]byte, error) {
	fw, fh := fit(hdr.Width, hdr.Height, maxSide)
	side := min(fw, fh) // a square target: DecodeFor then covers either orientation
	img, err := imageprep.DecodeFor(data, side, side, imageprep.CropNone, opts)
	if err != nil {
		return nil, err
	}
	w, h := fit(img.Width, img.Height, maxSide)
	pix := img.Pix
	if w != img.Width || h != img.Height {
		pix = imageprep.Resize(img, w, h, imageprep.CropNone)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(pix); i, j = i+3, j+4 {
		rgba.Pix[j], rgba.Pix[j+1], rgba.Pix[j+2], rgba.Pix[j+3] = pix[i], pix[i+1], pix[i+2], 0xFF
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: downscaleQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fit scales w×h down, keeping the aspect ratio, so that neither side
// exceeds maxSide.
func fit(w, h, maxSide int) (int, int) {
	if w <= maxSide && h <= maxSide {
		return w, h
	}
	if w >= h {
		return maxSide, max(1, int(int64(h)*int64(maxSide)/int64(w)))
	}
	return max(1, int(int64(w)*int64(maxSide)/int64(h))), maxSide
}
