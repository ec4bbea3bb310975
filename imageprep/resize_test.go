package imageprep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// resizeReference is golden/README.md's formula written out per pixel, with
// nothing precomputed, over the region (x0, y0, cw, ch) of img.
func resizeReference(img *Image, w, h, x0, y0, cw, ch int) []byte {
	out := make([]byte, 0, w*h*3)
	hs := float32(float32(ch) / float32(h))
	ws := float32(float32(cw) / float32(w))
	at := func(x, y, c int) float32 { return float32(img.Pix[((y0+y)*img.Width+x0+x)*3+c]) }
	for y := 0; y < h; y++ {
		iy := float32(float32(float32(float32(y)+0.5)*hs) - 0.5)
		ya := max(int(math.Floor(float64(iy))), 0)
		yb := min(int(math.Ceil(float64(iy))), ch-1)
		dy := float32(iy - float32(ya))
		for x := 0; x < w; x++ {
			ix := float32(float32(float32(float32(x)+0.5)*ws) - 0.5)
			xa := max(int(math.Floor(float64(ix))), 0)
			xb := min(int(math.Ceil(float64(ix))), cw-1)
			dx := float32(ix - float32(xa))
			w00 := float32(float32(1-dy) * float32(1-dx))
			w01 := float32(float32(1-dy) * dx)
			w10 := float32(dy * float32(1-dx))
			w11 := float32(dy * dx)
			for c := 0; c < 3; c++ {
				acc := float32(at(xa, ya, c) * w00)
				acc = float32(acc + float32(at(xb, ya, c)*w01))
				acc = float32(acc + float32(at(xa, yb, c)*w10))
				acc = float32(acc + float32(at(xb, yb, c)*w11))
				out = append(out, uint8(math.Trunc(math.Max(0, math.Min(255, float64(acc))))))
			}
		}
	}
	return out
}

func randomImage(rng *rand.Rand, w, h int) *Image {
	pix := make([]byte, w*h*3)
	for i := range pix {
		pix[i] = byte(rng.Uint32())
	}
	return &Image{Width: w, Height: h, Pix: pix}
}

// TestResizeMatchesReference proves the precomputed column taps bit-exact
// against the plain formula, on random pixels and sizes at the edges:
// 1-pixel sides, down- and upscaling, equal sizes, and both crops.
func TestResizeMatchesReference(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	sizes := [][4]int{ // in w, h; out w, h
		{1, 1, 1, 1}, {1, 1, 5, 3}, {7, 1, 3, 4}, {1, 9, 2, 2}, {37, 23, 224, 224}, {640, 480, 224, 224},
		{513, 343, 128, 128}, {224, 224, 224, 224}, {100, 100, 99, 101}, {3, 5, 300, 200}, {1280, 720, 192, 192},
	}
	for i := 0; i < 20; i++ {
		sizes = append(sizes, [4]int{1 + rng.IntN(400), 1 + rng.IntN(400), 1 + rng.IntN(300), 1 + rng.IntN(300)})
	}
	for _, s := range sizes {
		img := randomImage(rng, s[0], s[1])
		for _, crop := range []Crop{CropNone, CropCenter} {
			x0, cw, y0, ch := 0, s[0], 0, s[1]
			if crop == CropCenter {
				x0, cw = centralCrop(s[0])
				y0, ch = centralCrop(s[1])
			}
			got := Resize(img, s[2], s[3], crop)
			want := resizeReference(img, s[2], s[3], x0, y0, cw, ch)
			if i := firstDiff(got, want); i >= 0 {
				t.Errorf("%dx%d -> %dx%d crop %v (seed %d): byte %d: %d, want %d", s[0], s[1], s[2], s[3], crop, seed, i, got[i], want[i])
			}
		}
	}
}

// TestResizeIdentity: at scale 1 every weight but w00 is zero, so the
// pixels come through unchanged.
func TestResizeIdentity(t *testing.T) {
	img := randomImage(rand.New(rand.NewPCG(1, 1)), 41, 17)
	if i := firstDiff(Resize(img, 41, 17, CropNone), img.Pix); i >= 0 {
		t.Errorf("byte %d changed", i)
	}
}

// TestCentralCrop checks tf.image.central_crop's arithmetic for 0.875.
func TestCentralCrop(t *testing.T) {
	for _, c := range []struct{ dim, start, size int }{
		{1, 0, 1}, {7, 0, 7}, {8, 0, 8}, {16, 1, 14}, {23, 1, 21}, {37, 2, 33},
		{224, 14, 196}, {256, 16, 224}, {341, 21, 299}, {720, 45, 630}, {1280, 80, 1120},
	} {
		if start, size := centralCrop(c.dim); start != c.start || size != c.size {
			t.Errorf("centralCrop(%d) = %d, %d; want %d, %d", c.dim, start, size, c.start, c.size)
		}
	}
}

// TestResizeCropCenter: the crop of the test picture is the picture without
// a 2-pixel border left and right and 1 pixel top and bottom, so resizing it
// to its own size must give those pixels back.
func TestResizeCropCenter(t *testing.T) {
	pic := &Image{Width: picW, Height: picH, Pix: rgbBytes(picture())}
	got := Resize(pic, 33, 21, CropCenter)
	for y := 0; y < 21; y++ {
		for x := 0; x < 33; x++ {
			for c := 0; c < 3; c++ {
				if g, w := got[(y*33+x)*3+c], pic.Pix[((y+1)*picW+x+2)*3+c]; g != w {
					t.Fatalf("(%d,%d) channel %d: %d, want %d", x, y, c, g, w)
				}
			}
		}
	}
}

func TestParseCrop(t *testing.T) {
	for _, c := range []Crop{CropNone, CropCenter} {
		got, err := ParseCrop(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCrop(%q) = %v, %v", c.String(), got, err)
		}
	}
	for _, s := range []string{"", "Center", "central", "0.875"} {
		if _, err := ParseCrop(s); err == nil {
			t.Errorf("ParseCrop(%q) accepted", s)
		}
	}
	if s := Crop(7).String(); s != "Crop(7)" {
		t.Errorf("Crop(7).String() = %q", s)
	}
}

// TestResizePanics: invalid arguments are programming errors.
func TestResizePanics(t *testing.T) {
	ok := &Image{Width: 2, Height: 2, Pix: make([]byte, 12)}
	for _, c := range []struct {
		name string
		img  *Image
		w, h int
		crop Crop
	}{
		{"zero width", ok, 0, 5, CropNone},
		{"negative height", ok, 5, -1, CropNone},
		{"nil image", nil, 5, 5, CropNone},
		{"short Pix", &Image{Width: 2, Height: 2, Pix: make([]byte, 11)}, 5, 5, CropNone},
		{"unknown crop", ok, 5, 5, Crop(9)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			Resize(c.img, c.w, c.h, c.crop)
		}()
	}
}

func ExampleParseCrop() {
	c, err := ParseCrop("center")
	fmt.Println(c, err)
	// Output: center <nil>
}
