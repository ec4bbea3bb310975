package cli

import (
	"github.com/classifly/classifly/models"
	"github.com/classifly/classifly/registry"
)

// resolver builds the model resolver from the environment: the default
// model built in, downloads shown on stderr. A $CLASSIFLY_MODEL_DIR that is
// not a folder is flagged there, since the models would otherwise come from
// elsewhere without a word.
func resolver(env *Env, offline bool) *registry.Resolver {
	r := registry.NewResolverFromEnv()
	r.ModelDir = env.Getenv(registry.EnvModelDir)
	r.Offline = offline
	r.OnProgress = progressView(env.Stderr)
	model, labels := models.Default()
	r.Embedded = []registry.Embedded{{Name: models.Name, Model: model, Labels: labels}}
	if err := r.CheckModelDir(); err != nil {
		errorf(env, "warning: %v; models are looked up in the binary and the cache only", err)
	}
	return r
}
