// Package loader turns what a user names — a known model or a .tflite path —
// into a ready [classify.Classifier]: it finds the files with a
// [registry.Resolver] (which may download them), reads them within bounds,
// and builds the engine and the label list.
//
// It belongs to the layer that assembles programs (the CLI, the servers, the
// Lambda), so that package classify, the domain, knows nothing of folders,
// caches and downloads, and a binary picks what it links: the CLI gives its
// resolver the embedded default model and a progress display, the Lambda
// neither.
//
//	r := registry.NewResolverFromEnv()
//	c, res, err := loader.Load(ctx, r, "", "", engine.Options{}) // the default model
package loader
