// Package registry knows the models Classifly can run and finds their files.
//
// [Known] lists the published quantized classifiers (from the public
// google-coral/test_data repository) with their label files, sizes and
// sha256 checksums. A [Resolver] turns what the user typed — a known name, a
// path to a .tflite file, or nothing for [DefaultModel] — into files,
// looking in $CLASSIFLY_MODEL_DIR, then among the models compiled into the
// program ([Embedded]), then in the user's cache folder, and finally
// downloading into that cache (unless Offline). Package loader turns what
// it finds into a classifier.
//
// The registry draws nothing: a download is reported as [Progress] events
// to Resolver.OnProgress (the CLI renders a bar or lines), and gives up when
// no byte arrives for Resolver.StallTimeout.
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
//	r.OnProgress = func(p registry.Progress) { log.Println(p.File, p.Received) }
//	res, err := r.Resolve(ctx, "", "") // the default model
//	if err != nil {
//		return err
//	}
//	labels, err := registry.LoadLabels(res.LabelsPath)
package registry
