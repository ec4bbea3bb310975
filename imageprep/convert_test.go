package imageprep

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// generic hides an image's concrete type, forcing toRGB's per-pixel path.
type generic struct{ image.Image }

// TestToRGBFastPathsMatchGeneric proves every fast path equal to the generic
// per-pixel conversion, on random pixels, for images that cover the canvas,
// that start inside it at odd offsets and that overhang it.
func TestToRGBFastPathsMatchGeneric(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	const w, h = 29, 17
	rects := []image.Rectangle{
		image.Rect(0, 0, w, h),     // the canvas
		image.Rect(3, 5, 20, 12),   // inside, odd origin: white around
		image.Rect(1, 1, w+6, h+9), // overhanging
	}
	for _, r := range rects {
		for _, m := range randomImages(rng, r) {
			for _, video := range []bool{false, true} {
				name := fmt.Sprintf("%T %v %v video=%v", m, r, subsampling(m), video)
				fast, slow := make([]byte, w*h*3), make([]byte, w*h*3)
				toRGB(fast, w, h, m, video)
				toRGB(slow, w, h, generic{m}, video)
				if i := firstDiff(fast, slow); i >= 0 {
					t.Errorf("%s (seed %d): byte %d: fast %d, generic %d", name, seed, i, fast[i], slow[i])
				}
			}
		}
	}
}

func subsampling(m image.Image) string {
	switch m := m.(type) {
	case *image.YCbCr:
		return m.SubsampleRatio.String()
	case *image.NYCbCrA:
		return m.SubsampleRatio.String()
	}
	return ""
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// randomImages returns one image of every model toRGB has a loop for.
func randomImages(rng *rand.Rand, r image.Rectangle) []image.Image {
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	var out []image.Image
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		y := image.NewYCbCr(r, ratio)
		fill(y.Y)
		fill(y.Cb)
		fill(y.Cr)
		out = append(out, y)
		a := image.NewNYCbCrA(r, ratio)
		fill(a.Y)
		fill(a.Cb)
		fill(a.Cr)
		fill(a.A)
		out = append(out, a)
	}
	rgba, rgba64 := image.NewRGBA(r), image.NewRGBA64(r)
	fill(rgba.Pix)
	fill(rgba64.Pix)
	for i := 0; i < len(rgba.Pix); i += 4 { // valid premultiplied: c <= a, some opaque
		if i%12 == 0 {
			rgba.Pix[i+3] = 255
		}
		for c := 0; c < 3; c++ {
			rgba.Pix[i+c] = byte(int(rgba.Pix[i+c]) % (int(rgba.Pix[i+3]) + 1))
		}
	}
	for i := 0; i < len(rgba64.Pix); i += 8 {
		a := int(rgba64.Pix[i+6])<<8 | int(rgba64.Pix[i+7])
		for c := 0; c < 6; c += 2 {
			v := (int(rgba64.Pix[i+c])<<8 | int(rgba64.Pix[i+c+1])) % (a + 1)
			rgba64.Pix[i+c], rgba64.Pix[i+c+1] = byte(v>>8), byte(v)
		}
	}
	nrgba, nrgba64 := image.NewNRGBA(r), image.NewNRGBA64(r)
	fill(nrgba.Pix)
	fill(nrgba64.Pix)
	gray, gray16, cmyk := image.NewGray(r), image.NewGray16(r), image.NewCMYK(r)
	fill(gray.Pix)
	fill(gray16.Pix)
	fill(cmyk.Pix)
	// A palette of mixed colour types, as decoders build them.
	palette := color.Palette{
		color.RGBA{10, 20, 30, 255}, color.RGBA{0, 0, 0, 0}, color.RGBA{60, 50, 40, 128},
		color.NRGBA{200, 100, 50, 128}, color.NRGBA{1, 2, 3, 0}, color.Gray{77},
		color.YCbCr{100, 90, 200}, color.CMYK{10, 200, 30, 40}, color.Gray16{0xABCD},
		color.NRGBA64{0x1234, 0x5678, 0x9ABC, 0x8000}, color.Alpha{100},
	}
	pal := image.NewPaletted(r, palette)
	for i := range pal.Pix {
		pal.Pix[i] = byte(rng.IntN(len(palette)))
	}
	return append(out, rgba, rgba64, nrgba, nrgba64, gray, gray16, cmyk, pal)
}

// TestFlatten checks the alpha formula on its edges and the premultiplied
// shortcut against the formula on exact non-premultiplied values.
func TestFlatten(t *testing.T) {
	for _, c := range []struct{ c, a, want uint8 }{
		{0, 0, 255}, {255, 0, 255}, {0, 255, 0}, {200, 255, 200}, {0, 128, 127}, {255, 128, 255}, {100, 1, 254},
	} {
		if got := flat(c.c, c.a); got != c.want {
			t.Errorf("flat(%d, %d) = %d, want %d", c.c, c.a, got, c.want)
		}
	}
	for a := 1; a < 256; a++ {
		for p := 0; p <= a; p++ {
			exact := float64(p)*255/float64(a)*float64(a)/255 + 255 - float64(a) // c*a/255 + 255 - a
			if got := premul(uint8(p), uint8(a)); math.Abs(float64(got)-exact) > 1e-9 {
				t.Fatalf("premul(%d, %d) = %d, want %v", p, a, got, exact)
			}
		}
	}
	if got := premul(200, 100); got != 255 {
		t.Errorf("invalid premultiplied value not clamped: %d", got)
	}
}

// TestVideoToRGB compares the fixed-point BT.601 limited-range conversion
// with the same formula in float64 for every input: at most one level apart
// (rounding ties), and black and white land on 0 and 255.
func TestVideoToRGB(t *testing.T) {
	clampRound := func(v float64) float64 { return math.Max(0, math.Min(255, math.Round(v))) }
	var off int
	for y := 0; y < 256; y++ {
		for cb := 0; cb < 256; cb++ {
			for cr := 0; cr < 256; cr++ {
				yy, u, v := (float64(y)-16)*255/219, float64(cb)-128, float64(cr)-128
				want := [3]float64{
					clampRound(yy + 1.402*255/224*v),
					clampRound(yy - 0.344136*255/224*u - 0.714136*255/224*v),
					clampRound(yy + 1.772*255/224*u),
				}
				r, g, b := videoToRGB(uint8(y), uint8(cb), uint8(cr))
				for i, got := range []uint8{r, g, b} {
					if d := math.Abs(float64(got) - want[i]); d > 1 {
						t.Fatalf("videoToRGB(%d,%d,%d)[%d] = %d, want %v", y, cb, cr, i, got, want[i])
					} else if d == 1 {
						off++
					}
				}
			}
		}
	}
	t.Logf("%d of %d samples one level off the float formula", off, 3<<24)
	if r, g, b := videoToRGB(16, 128, 128); r|g|b != 0 {
		t.Errorf("video black -> %d,%d,%d", r, g, b)
	}
	if r, g, b := videoToRGB(235, 128, 128); r&g&b != 255 {
		t.Errorf("video white -> %d,%d,%d", r, g, b)
	}
}
