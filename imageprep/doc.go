// Package imageprep turns untrusted image bytes into the 8-bit RGB input of an
// image classifier.
//
// [Decode] sniffs the format from its magic bytes (JPEG, PNG, GIF, BMP, WebP),
// checks the declared size against a pixel limit before decoding anything,
// converts every colour model to RGB (alpha flattened on white; lossy WebP
// read as the BT.601 limited-range YUV it is) and applies the EXIF
// orientation, read by its own bounds-checked parser. [Resize] scales the
// result, or its central crop, to a model's input size with the arithmetic
// of TensorFlow Lite's RESIZE_BILINEAR (half_pixel_centers=true), bit for bit.
//
// That is the exact path ([ResizeExact]), which the golden tensors use. The
// fast path ([ResizeFast], [Prepare], [DecodeFor] and [ResizeFor]) decodes a
// JPEG with jpegdec at the smallest DCT scale (1/8, 1/4, 1/2) whose output
// still covers the model input, orients that small picture, box-averages it
// where it is still three or more times the input, then applies the same
// bilinear: a 12-megapixel photo costs a 504×378 picture and one band of MCU
// rows, so JPEGs may be larger there ([Options].MaxPixelsJPEG,
// [DefaultMaxPixelsJPEG]). Other formats take the exact path. [Probe] reads
// the header alone and estimates the memory of the path it is told.
//
// Every error is a [*FormatError], an [*UnsupportedError] or a
// [*TooLargeError], and matches one of the Err… sentinels with errors.Is.
package imageprep
