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
// Every error is a [*FormatError], an [*UnsupportedError] or a
// [*TooLargeError], and matches one of the Err… sentinels with errors.Is.
package imageprep
