package sagemaker

import (
	"bytes"
	"errors"
	"image"
	_ "image/gif" // registered for image.DecodeConfig
	"image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"

	"github.com/classifly/classifly/imageprep"
)

// downscaleQuality is the JPEG quality of downscaled pictures: far above
// what a 224×224 classifier can tell apart, far below 4 MB at 1024 px.
const downscaleQuality = 90

// payload returns the body and content type to send for a picture: the
// bytes as they came when they fit, else a downscaled JPEG. It reads only
// the header of a picture that fits, so a picture that is not an image, or
// declares too many pixels, is refused here without a paid call; the
// container judges the rest (truncated or corrupt data) exactly as
// `classifly serve` does.
func (b *Backend) payload(data []byte) (body []byte, contentType string, downscaled bool, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	switch {
	case errors.Is(err, image.ErrFormat):
		return nil, "", false, &imageprep.UnsupportedError{Kind: imageprep.ErrUnknownFormat}
	case err != nil:
		// A known format with a bad header: the container says what is
		// wrong with it, in the same words as everywhere else.
	case int64(cfg.Width)*int64(cfg.Height) > b.opts.MaxPixels:
		return nil, "", false, &imageprep.TooLargeError{Format: imageprep.Format(format),
			Width: cfg.Width, Height: cfg.Height, MaxPixels: b.opts.MaxPixels}
	}
	if len(data) <= b.opts.MaxPayload {
		return data, "image/" + format, false, nil
	}
	small, err := downscale(data, b.opts.MaxPixels, b.opts.DownscaleTo)
	if err != nil {
		return nil, "", false, err
	}
	if len(small) > b.opts.MaxPayload {
		return nil, "", false, errors.New("sagemaker: downscaled picture still over the payload limit")
	}
	return small, "image/jpeg", true, nil
}

// downscale decodes a picture (EXIF orientation applied) and re-encodes it
// as a JPEG whose longest side is at most maxSide.
func downscale(data []byte, maxPixels int64, maxSide int) ([]byte, error) {
	img, err := imageprep.Decode(data, imageprep.Options{MaxPixels: maxPixels})
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
