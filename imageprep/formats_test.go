package imageprep

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"golang.org/x/image/bmp"
)

// sample is one encoding of a known picture and the RGB it must decode to.
type sample struct {
	name   string
	format Format
	data   []byte
	w, h   int
	want   []byte    // the picture that was encoded, as RGB on white
	tol    tolerance // zero for lossless codecs
}

// Lossy codecs are checked twice. Against the reference decoder of the same
// bytes (djpeg -nosmooth, dwebp -nofancy: libjpeg-turbo and libwebp with
// chroma replicated as Go's decoders do), within refTol: IDCT and
// fixed-point colour conversions round differently. And against the
// original picture within a codec's loss: at quality 95 the 4:2:0 chroma of
// Go's JPEG encoder, cjpeg's default and every lossy WebP smears the sharp
// colour edges of the corner blocks by up to half their difference, so only
// the mean says much there; a wrong colour model, range or channel order
// gives a mean of 10 or more.
var (
	refTol   = tolerance{mean: 0.5, max: 4}
	lossy444 = tolerance{mean: 2, max: 16}
	lossy420 = tolerance{mean: 7, max: 140}
)

// samples encodes the test pictures in every format and variant, with the Go
// encoders where they exist and the Debian tools otherwise.
func samples(t *testing.T) []sample {
	t.Helper()
	pic, tr := picture(), translucent()
	opaque, flat := rgbBytes(pic), rgbBytes(tr)
	gray, grayRGB := grayPicture(pic)
	pal, palRGB := palettedPicture()
	gifPal := opaquePalette(pal, false)
	gifRGB := rgbOfPaletted(gifPal)
	bmpPal := opaquePalette(pal, true)
	s := []sample{
		{name: "png/rgb", format: PNG, data: encodePNG(t, pic), want: opaque},
		{name: "png/alpha", format: PNG, data: encodePNG(t, tr), want: flat},
		{name: "png/rgb16", format: PNG, data: encodePNG(t, widen(pic)), want: opaque},
		{name: "png/alpha16", format: PNG, data: encodePNG(t, widen(tr)), want: flat},
		{name: "png/gray", format: PNG, data: encodePNG(t, gray), want: grayRGB},
		{name: "png/gray16", format: PNG, data: encodePNG(t, widenGray(gray)), want: grayRGB},
		{name: "png/palette-trns", format: PNG, data: encodePNG(t, pal), want: palRGB},
		{name: "gif/palette-transparent", format: GIF, data: encodeGIF(t, gifPal), want: gifRGB},
		{name: "bmp/24", format: BMP, data: encodeBMP(t, pic), want: opaque},
		{name: "bmp/8-gray", format: BMP, data: encodeBMP(t, gray), want: grayRGB},
		{name: "bmp/8-palette", format: BMP, data: encodeBMP(t, bmpPal), want: rgbOfPaletted(bmpPal)},
		{name: "jpeg/baseline", format: JPEG, data: encodeJPEG(t, pic), want: opaque, tol: lossy420},
		{name: "jpeg/gray", format: JPEG, data: encodeJPEG(t, gray), want: grayRGB, tol: lossy444},
	}
	// A GIF whose first frame covers part of a larger logical screen: the rest
	// is background, white.
	sw, sh := picW+9, picH+5
	s = append(s, sample{name: "gif/subframe", format: GIF, data: encodeGIFScreen(t, gifPal, sw, sh, 4, 3),
		w: sw, h: sh, want: placed(gifRGB, sw, sh, 4, 3)})

	picPNG, trPNG := encodePNG(t, pic), encodePNG(t, tr)
	cjpeg := tool(t, "/usr/bin/cjpeg", "libjpeg-turbo-progs")
	cwebp := tool(t, "/usr/bin/cwebp", "webp")
	im := imagemagick(t)
	s = append(s,
		sample{name: "jpeg/progressive-cjpeg", format: JPEG, want: opaque, tol: lossy420,
			data: convertWith(t, ppm(pic), "in.ppm", "out.jpg", cjpeg, "-progressive", "-quality", "95", "-outfile", "OUT", "IN")},
		sample{name: "jpeg/progressive444-cjpeg", format: JPEG, want: opaque, tol: lossy444,
			data: convertWith(t, ppm(pic), "in.ppm", "out.jpg", cjpeg, "-progressive", "-sample", "1x1", "-quality", "95", "-outfile", "OUT", "IN")},
		sample{name: "jpeg/cmyk-imagemagick", format: JPEG, want: opaque, tol: lossy444,
			data: convertWith(t, picPNG, "in.png", "out.jpg", im, "IN", "-colorspace", "CMYK", "-quality", "95", "OUT")},
		sample{name: "bmp/32-alpha-imagemagick", format: BMP, want: flat,
			data: convertWith(t, trPNG, "in.png", "out.bmp", im, "IN", "BMP:OUT")},
		sample{name: "webp/lossy-cwebp", format: WebP, want: opaque, tol: lossy420,
			data: convertWith(t, picPNG, "in.png", "out.webp", cwebp, "-quiet", "-q", "95", "IN", "-o", "OUT")},
		sample{name: "webp/lossless-cwebp", format: WebP, want: opaque,
			data: convertWith(t, picPNG, "in.png", "out.webp", cwebp, "-quiet", "-lossless", "IN", "-o", "OUT")},
		sample{name: "webp/lossless-alpha-cwebp", format: WebP, want: flat,
			data: convertWith(t, trPNG, "in.png", "out.webp", cwebp, "-quiet", "-lossless", "IN", "-o", "OUT")},
		sample{name: "webp/lossy-alpha-cwebp", format: WebP, want: flat, tol: lossy420,
			data: convertWith(t, trPNG, "in.png", "out.webp", cwebp, "-quiet", "-q", "95", "-alpha_q", "100", "IN", "-o", "OUT")},
	)
	for i := range s {
		if s[i].w == 0 {
			s[i].w, s[i].h = picW, picH
		}
	}
	return s
}

func TestDecodeFormats(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			img, err := Decode(s.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Format != s.format || img.Width != s.w || img.Height != s.h || img.Orientation != 1 {
				t.Fatalf("got %s %dx%d orientation %d, want %s %dx%d orientation 1",
					img.Format, img.Width, img.Height, img.Orientation, s.format, s.w, s.h)
			}
			checkPixels(t, "against the original", img.Pix, s.want, s.tol)
			if s.tol != (tolerance{}) {
				_, _, ref := referenceDecode(t, s)
				checkPixels(t, "against the reference decoder", img.Pix, ref, refTol)
				m0, x0 := diffStats(img.Pix, s.want)
				m1, x1 := diffStats(img.Pix, ref)
				t.Logf("mean/max |diff|: %.3f/%d from the original, %.3f/%d from the reference decoder", m0, x0, m1, x1)
			}
		})
	}
}

// referenceDecode decodes a lossy sample with libjpeg-turbo or libwebp.
func referenceDecode(t *testing.T, s sample) (w, h int, rgb []byte) {
	t.Helper()
	switch s.format {
	case JPEG:
		djpeg := tool(t, "/usr/bin/djpeg", "libjpeg-turbo-progs")
		return pnm(t, convertWith(t, s.data, "in.jpg", "out.pnm", djpeg, "-nosmooth", "-pnm", "-outfile", "OUT", "IN"))
	case WebP:
		dwebp := tool(t, "/usr/bin/dwebp", "webp")
		return pnm(t, convertWith(t, s.data, "in.webp", "out.pam", dwebp, "-quiet", "-nofancy", "-pam", "IN", "-o", "OUT"))
	}
	t.Fatalf("no reference decoder for %s", s.format)
	return 0, 0, nil
}

// TestDecodeModels checks that each sample really exercises the colour
// model it is meant to, so that every fast path in convert.go is covered by a
// real decoder's output.
func TestDecodeModels(t *testing.T) {
	want := map[string]string{
		"png/rgb": "*image.RGBA", "png/alpha": "*image.NRGBA", "png/rgb16": "*image.RGBA64",
		"png/alpha16": "*image.NRGBA64", "png/gray": "*image.Gray", "png/gray16": "*image.Gray16",
		"png/palette-trns": "*image.Paletted", "gif/palette-transparent": "*image.Paletted",
		"bmp/24": "*image.RGBA", "bmp/8-gray": "*image.Paletted", "bmp/32-alpha-imagemagick": "*image.NRGBA",
		"jpeg/baseline": "*image.YCbCr", "jpeg/gray": "*image.Gray", "jpeg/progressive-cjpeg": "*image.YCbCr",
		"jpeg/cmyk-imagemagick": "*image.CMYK", "webp/lossy-cwebp": "*image.YCbCr",
		"webp/lossless-cwebp": "*image.NRGBA", "webp/lossy-alpha-cwebp": "*image.NYCbCrA",
	}
	for _, s := range samples(t) {
		w, ok := want[s.name]
		if !ok {
			continue
		}
		decode, _ := codec(s.format)
		m, err := decode(bytes.NewReader(s.data))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := fmt.Sprintf("%T", m); got != w {
			t.Errorf("%s decodes to %s, want %s", s.name, got, w)
		}
	}
	// And that the tools wrote what they were asked for.
	marks := map[string][]byte{
		"jpeg/progressive-cjpeg":    {0xFF, 0xC2}, // SOF2
		"jpeg/progressive444-cjpeg": {0xFF, 0xC2},
		"jpeg/cmyk-imagemagick":     []byte("Adobe"), // APP14, for 4-component JPEGs
		"webp/lossy-cwebp":          []byte("VP8 "),
		"webp/lossy-alpha-cwebp":    []byte("ALPH"),
		"webp/lossless-cwebp":       []byte("VP8L"),
	}
	for _, s := range samples(t) {
		if m, ok := marks[s.name]; ok && !bytes.Contains(s.data, m) {
			t.Errorf("%s lacks %q", s.name, m)
		}
	}
}

func encodePNG(t *testing.T, m image.Image) []byte { return encoded(t, m, png.Encode) }

func encodeJPEG(t *testing.T, m image.Image) []byte {
	return encoded(t, m, func(w io.Writer, m image.Image) error {
		return jpeg.Encode(w, m, &jpeg.Options{Quality: 95})
	})
}

func encodeBMP(t *testing.T, m image.Image) []byte { return encoded(t, m, bmp.Encode) }

// encoded returns m as encode writes it, or fails the test.
func encoded(t *testing.T, m image.Image, encode func(io.Writer, image.Image) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(t *testing.T, m *image.Paletted) []byte {
	return encoded(t, m, func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) })
}

// encodeGIFScreen writes m as the only frame, at (x, y), of a w x h screen.
func encodeGIFScreen(t *testing.T, m *image.Paletted, w, h, x, y int) []byte {
	t.Helper()
	frame := image.NewPaletted(m.Rect.Add(image.Pt(x, y)), m.Palette)
	copy(frame.Pix, m.Pix)
	var b bytes.Buffer
	err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: m.Palette, Width: w, Height: h}})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// placed puts a picW x picH RGB picture at (x, y) of a white w x h canvas.
func placed(rgb []byte, w, h, x, y int) []byte {
	out := bytes.Repeat([]byte{0xFF}, w*h*3)
	for r := 0; r < picH; r++ {
		copy(out[((y+r)*w+x)*3:], rgb[r*picW*3:(r+1)*picW*3])
	}
	return out
}

// widen turns 8-bit samples v into 16-bit v<<8 | noise, so that a decoder
// that used the low byte would show it.
func widen(m *image.NRGBA) *image.NRGBA64 {
	out := image.NewNRGBA64(m.Rect)
	for i, v := range m.Pix {
		out.Pix[2*i], out.Pix[2*i+1] = v, uint8(i*37)
		if i%4 == 3 && v == 0xFF {
			out.Pix[2*i+1] = 0xFF // keep opaque pixels opaque
		}
	}
	return out
}

func widenGray(m *image.Gray) *image.Gray16 {
	out := image.NewGray16(m.Rect)
	for i, v := range m.Pix {
		out.Pix[2*i], out.Pix[2*i+1] = v, uint8(i*53)
	}
	return out
}

// grayPicture returns the picture in gray and its RGB triplets.
func grayPicture(pic *image.NRGBA) (*image.Gray, []byte) {
	g := image.NewGray(pic.Rect)
	draw.Draw(g, g.Rect, pic, image.Point{}, draw.Src)
	rgb := make([]byte, 0, len(g.Pix)*3)
	for _, v := range g.Pix {
		rgb = append(rgb, v, v, v)
	}
	return g, rgb
}

// palettedPicture returns a paletted picture whose palette has an opaque,
// a translucent and a fully transparent entry, and its RGB on white.
func palettedPicture() (*image.Paletted, []byte) {
	palette := color.Palette{
		color.NRGBA{230, 30, 30, 255}, color.NRGBA{30, 200, 40, 255}, color.NRGBA{40, 40, 220, 255},
		color.NRGBA{0, 0, 0, 0}, color.NRGBA{200, 100, 50, 128}, color.NRGBA{10, 20, 30, 255},
		color.NRGBA{250, 250, 250, 255},
	}
	m := image.NewPaletted(image.Rect(0, 0, picW, picH), palette)
	for y := 0; y < picH; y++ {
		for x := 0; x < picW; x++ {
			m.SetColorIndex(x, y, uint8((x/3+y*2)%len(palette)))
		}
	}
	return m, rgbOfPaletted(m)
}

// opaquePalette makes translucent palette entries opaque, as GIF has only
// one fully transparent index; with all, every entry, as BMP has no alpha.
func opaquePalette(m *image.Paletted, all bool) *image.Paletted {
	p := make(color.Palette, len(m.Palette))
	for i, c := range m.Palette {
		n := c.(color.NRGBA)
		if all || n.A != 0 {
			n.A = 255
		}
		p[i] = n
	}
	out := *m
	out.Palette = p
	return &out
}

// rgbOfPaletted converts through the test's own formula (rgbBytes).
func rgbOfPaletted(m *image.Paletted) []byte {
	n := image.NewNRGBA(m.Rect)
	for y := 0; y < m.Rect.Dy(); y++ {
		for x := 0; x < m.Rect.Dx(); x++ {
			n.SetNRGBA(x, y, m.Palette[m.ColorIndexAt(x, y)].(color.NRGBA))
		}
	}
	return rgbBytes(n)
}
