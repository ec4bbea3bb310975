package imageprep

// orient returns pix (w x h RGB) transformed for display according to EXIF
// orientation o (EXIF 2.32 §4.6.4 A, tag 0x0112), with the new width and
// height; 5 to 8 swap them. For 1, or an invalid value, pix is returned as is.
//
// Each value says where the stored rows and columns belong; written as the
// stored pixel (sx, sy) shown at display position (x, y) of a W x H image:
//
//	1 (x, y)              identity
//	2 (W-1-x, y)          mirrored left-right
//	3 (W-1-x, H-1-y)      rotated 180°
//	4 (x, H-1-y)          mirrored top-bottom
//	5 (y, x)              transposed
//	6 (y, H-1-x)          rotated 90° clockwise for display
//	7 (W-1-y, H-1-x)      transversed
//	8 (W-1-y, x)          rotated 90° counter-clockwise for display
//
// Every map is affine, so the source index is start + x*dx + y*dy in pixels.
func orient(pix []byte, w, h, o int) ([]byte, int, int) {
	var start, dx, dy int
	switch o {
	case 2:
		start, dx, dy = w-1, -1, w
	case 3:
		start, dx, dy = (h-1)*w+w-1, -1, -w
	case 4:
		start, dx, dy = (h-1)*w, 1, -w
	case 5:
		start, dx, dy = 0, w, 1
	case 6:
		start, dx, dy = (h-1)*w, -w, 1
	case 7:
		start, dx, dy = (h-1)*w+w-1, -w, -1
	case 8:
		start, dx, dy = w-1, w, -1
	default:
		return pix, w, h
	}
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := make([]byte, len(pix))
	i := 0
	for y := 0; y < oh; y++ {
		s := start + y*dy
		for x := 0; x < ow; x++ {
			p := pix[s*3 : s*3+3]
			out[i], out[i+1], out[i+2] = p[0], p[1], p[2]
			i += 3
			s += dx
		}
	}
	return out, ow, oh
}
