package lambdaproxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/sagemaker"
	"github.com/classifly/classifly/server"
)

// Environment variables that configure the function.
const (
	// EnvInference chooses where inference runs: "sagemaker" (default)
	// calls the endpoint, "lambda" runs the engine in the function.
	EnvInference = "CLASSIFLY_INFERENCE"
	// EnvEndpoint is the SageMaker endpoint's name (inference=sagemaker).
	EnvEndpoint = "CLASSIFLY_SAGEMAKER_ENDPOINT"
	// EnvModels lists model names, the default first: the ones the
	// endpoint serves (sagemaker), or the ones to load (lambda; default:
	// every .tflite in the model folder).
	EnvModels = "CLASSIFLY_MODELS"
	// EnvModelDir is the folder of model files (inference=lambda); default
	// $LAMBDA_TASK_ROOT/model, the zip's model/ folder.
	EnvModelDir = registry.EnvModelDir
	// EnvNamespace is the metrics namespace; default DefaultNamespace.
	EnvNamespace = "CLASSIFLY_METRICS_NAMESPACE"
	// EnvLogLevel: debug, info (default), warn or error.
	EnvLogLevel = "CLASSIFLY_LOG_LEVEL"
)

// Inference choices.
const (
	InferenceSageMaker = "sagemaker"
	InferenceLambda    = "lambda"
)

// DefaultRequestTimeout leaves API Gateway's hard 30 s some slack.
const DefaultRequestTimeout = 28 * time.Second

// Setup builds the function's adapter from its environment: the same API
// handler as `classifly serve`, over a SageMaker backend or over models
// loaded in the function. stdout receives the metrics, stderr the logs.
func Setup(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (*Adapter, error) {
	var level slog.Level
	if v := getenv(EnvLogLevel); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvLogLevel, err)
		}
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	// The API's settings are the variables of `classifly serve`'s flags
	// (api.EnvName: CLASSIFLY_REQUEST_TIMEOUT, CLASSIFLY_API_KEY_HASHES,
	// CLASSIFLY_JWKS_URL, CLASSIFLY_CORS_ORIGINS, CLASSIFLY_RATE_LIMIT…).
	cfg, err := api.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg.Logger = logger
	if getenv(api.EnvName("request-timeout")) == "" {
		cfg.Limits.RequestTimeout = DefaultRequestTimeout
	}

	inference := getenv(EnvInference)
	if inference == "" {
		inference = InferenceSageMaker
	}
	var h http.Handler
	switch inference {
	case InferenceSageMaker:
		h, err = sageMakerHandler(ctx, getenv, cfg, logger)
	case InferenceLambda:
		h, err = localHandler(ctx, getenv, cfg, logger)
	default:
		err = fmt.Errorf("%s=%q: want %s or %s", EnvInference, inference, InferenceSageMaker, InferenceLambda)
	}
	if err != nil {
		return nil, err
	}
	metrics := NewMetrics(stdout, getenv(EnvNamespace), getenv("AWS_LAMBDA_FUNCTION_NAME"), inference)
	return NewAdapter(h, metrics), nil
}

// sageMakerHandler is the API over InvokeEndpoint. The SDK reads the
// region and credentials that Lambda sets, and honours
// AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME (the tests' emulator).
func sageMakerHandler(ctx context.Context, getenv func(string) string, cfg api.Config, logger *slog.Logger) (http.Handler, error) {
	endpoint := getenv(EnvEndpoint)
	if endpoint == "" {
		return nil, fmt.Errorf("%s is not set: name the SageMaker endpoint", EnvEndpoint)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client := sagemakerruntime.NewFromConfig(awsCfg, sagemaker.WithoutSDKRetries)
	backend, err := sagemaker.New(client, sagemaker.Options{
		EndpointName: endpoint, Models: api.SplitModels(getenv(EnvModels)),
		Observe: ObserveInvocation, Logger: logger,
		// The caps the API checks are the ones the payload is checked to.
		MaxPixels: cfg.Limits.MaxPixels, MaxPixelsJPEG: cfg.Limits.MaxPixelsJPEG,
	})
	if err != nil {
		return nil, err
	}
	// A Lambda instance serves one request at a time; the endpoint has its
	// own admission control.
	cfg.Limits.MaxConcurrent = 4
	return api.New(backend, cfg)
}

// localHandler loads the models into the function, as `classifly serve`
// does, before the first event: Lambda's init phase runs at full CPU.
func localHandler(ctx context.Context, getenv func(string) string, cfg api.Config, logger *slog.Logger) (http.Handler, error) {
	dir := getenv(EnvModelDir)
	if dir == "" {
		dir = filepath.Join(getenv("LAMBDA_TASK_ROOT"), "model")
	}
	models := api.SplitModels(getenv(EnvModels))
	for i, m := range models {
		// A name whose file is in the folder: the file (known or not).
		if p := filepath.Join(dir, m+".tflite"); !strings.ContainsAny(m, `/\`) && isFile(p) {
			models[i] = p
		}
	}
	if len(models) == 0 {
		var err error
		if models, err = server.ModelFiles(dir); err != nil {
			return nil, fmt.Errorf("inference=lambda: %w", err)
		}
	}
	s, err := server.New(server.Options{
		Role: server.RoleAll, Models: models, API: cfg, Logger: logger,
		Resolver: &registry.Resolver{ModelDir: dir, Offline: true},
	})
	if err != nil {
		return nil, err
	}
	if err := s.LoadModels(ctx); err != nil {
		return nil, err
	}
	return s.Handler(), nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
