// Package registry knows the models Classifly can run and finds their files.
//
// [Known] lists the published quantized classifiers (from the public
// google-coral/test_data repository) with their label files, sizes and
// sha256 checksums. A [Resolver] turns what the user typed — a known name, a
// path to a .tflite file, or nothing for [DefaultModel] — into files on disk,
// looking in $CLASSIFLY_MODEL_DIR, then in the user's cache folder, and
// finally downloading into that cache (unless Offline).
//
// Downloads are streamed to a temporary file beside their destination, hashed
// while they stream, capped at MaxDownload bytes and renamed into place only
// when the sha256 matches, so a cache never holds a partial or corrupt model.
// Files already on disk are trusted by name; call [Verify] for a checked mode.
//
// Errors are typed: [ErrUnknownModel] for a name that is neither known nor a
// file, [ErrNotFound] (inside a [*NotFoundError] whose message names
// $CLASSIFLY_MODEL_DIR and the exact URL to fetch) when a known model cannot
// be found or fetched, [*ChecksumError] for a file whose sha256 is wrong and
// [ErrTooLarge] for a download past the cap.
//
//	r := registry.NewResolverFromEnv()
//	r.Progress = os.Stderr
//	res, err := r.Resolve(ctx, "", "") // the default model
//	if err != nil {
//		return err
//	}
//	labels, err := registry.LoadLabels(res.LabelsPath)
package registry
