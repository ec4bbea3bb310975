// Package jpegdec is a JPEG decoder that decodes straight to packed RGB at a
// reduced size, for image classification where a 12-megapixel photo ends as
// a 224×224 tensor.
//
// It reads baseline, extended-sequential and progressive 8-bit Huffman JPEGs
// (ITU T.81): grey, YCbCr (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1 and any other
// integer sampling ratio), RGB, and Adobe CMYK and YCCK, with restart
// intervals. 12-bit samples, arithmetic coding and the lossless and
// hierarchical processes give an [*UnsupportedError]; malformed or cut data
// a [*FormatError]; nothing panics on hostile input.
//
// Scaling happens in the DCT domain: each 8×8 block becomes 8×8, 4×4, 2×2 or
// 1×1 samples (scale 1/1, 1/2, 1/4, 1/8), the reduced transforms being the
// box average of the full one, as in libjpeg. [Options] name the smallest
// output wanted and [ChooseScale] picks the smallest scale that covers it;
// at 1/8 the AC coefficients are skipped, not decoded. Subsampled chroma is
// scaled up in the IDCT where the ratio allows and otherwise replicated
// ("-nosmooth" in djpeg terms); the tests hold the output to libjpeg-turbo's
// djpeg -nosmooth within a mean of 0.5 and a maximum of 4 levels.
//
// Memory: a sequential JPEG costs the output picture plus one band of MCU
// rows per component (a few hundred KB for a 12 MP photo at 1/8), so the
// pixel cap can be high (DefaultMaxPixels). Progressive and multi-scan
// pictures must keep coefficients until the last scan: a component decoded
// at 1/8 keeps its DC and a 64-bit mask of non-zero AC coefficients (all a
// refinement scan needs to parse), 10 bytes a block, about 0.3 bytes a
// pixel for 4:2:0 (a 12 MP progressive photo decodes in under 40 MB of RSS);
// at larger scales every coefficient, 128 bytes a block (3 bytes a pixel for
// 4:2:0, 6 for 4:4:4), so those are capped at 40 megapixels.
package jpegdec
