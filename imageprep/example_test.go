package imageprep_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/classifly/classifly/imageprep"
)

func Example() {
	// Any uploaded bytes; here a 4x2 PNG made on the spot.
	m := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for i := range m.Pix {
		m.Pix[i] = 0xFF
	}
	m.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		panic(err)
	}

	img, err := imageprep.Decode(buf.Bytes(), imageprep.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	input := imageprep.Resize(img, 224, 224, imageprep.CropNone)
	fmt.Println(img.Format, img.Width, img.Height, len(input))
	fmt.Println(input[:3]) // the top-left pixel, still red

	_, err = imageprep.Decode([]byte("GIF89a"), imageprep.Options{})
	fmt.Println(err, errors.Is(err, imageprep.ErrTruncated))
	// Output:
	// png 4 2 150528
	// [255 0 0]
	// imageprep: truncated image data (gif): gif: reading header: unexpected EOF true
}
