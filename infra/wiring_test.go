package infra

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// CloudFront managed policy ids (CloudFront developer guide, "Use managed
// cache policies" and "Use managed origin request policies").
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// TestCloudFront: the private bucket through the origin access control,
// index.html at /, and /predict to the API uncached with every viewer
// header but Host.
func TestCloudFront(t *testing.T) {
	c := load(t)
	d := c.resource(t, "aws_cloudfront_distribution.site")
	if c.str(t, d, "default_root_object") != "index.html" {
		t.Error("default_root_object must be index.html")
	}
	origins := map[string]*hclsyntax.Block{}
	for _, o := range nested(d, "origin") {
		origins[c.str(t, o, "origin_id")] = o
	}
	site, api := origins["site"], origins["api"]
	if site == nil || api == nil {
		t.Fatalf("origins %v, want site and api", origins)
	}
	c.mustRefer(t, site, "domain_name", "aws_s3_bucket.site.bucket_regional_domain_name")
	c.mustRefer(t, site, "origin_access_control_id", "aws_cloudfront_origin_access_control.site.id")
	c.mustRefer(t, api, "domain_name", "aws_apigatewayv2_api.http.api_endpoint")
	if c.str(t, api, "custom_origin_config.origin_protocol_policy") != "https-only" {
		t.Error("the API origin must be https-only")
	}

	def := nested(d, "default_cache_behavior")[0]
	if c.str(t, def, "target_origin_id") != "site" {
		t.Error("the default behaviour must serve the site bucket")
	}
	behaviours := map[string]*hclsyntax.Block{}
	for _, b := range nested(d, "ordered_cache_behavior") {
		behaviours[c.str(t, b, "path_pattern")] = b
	}
	for _, path := range []string{"/predict", "/models", "/openapi.json"} {
		b := behaviours[path]
		if b == nil {
			t.Errorf("no behaviour for %s", path)
			continue
		}
		if c.str(t, b, "target_origin_id") != "api" || c.str(t, b, "cache_policy_id") != cachingDisabled ||
			c.str(t, b, "origin_request_policy_id") != allViewerExceptHostHeader {
			t.Errorf("%s must go to the api origin with CachingDisabled and AllViewerExceptHostHeader", path)
		}
	}
	if p := behaviours["/predict"]; p != nil && !slices.Contains(c.strs(t, p, "allowed_methods"), "POST") {
		t.Error("/predict must allow POST")
	}

	oac := c.resource(t, "aws_cloudfront_origin_access_control.site")
	if c.str(t, oac, "origin_access_control_origin_type") != "s3" || c.str(t, oac, "signing_behavior") != "always" ||
		c.str(t, oac, "signing_protocol") != "sigv4" {
		t.Error("the origin access control must be s3, always, sigv4")
	}
}

// TestSiteBucketPolicy: only CloudFront, only this distribution, only
// reads; the bucket itself is private.
func TestSiteBucketPolicy(t *testing.T) {
	c := load(t)
	bp := c.resource(t, "aws_s3_bucket_policy.site")
	c.mustRefer(t, bp, "bucket", "aws_s3_bucket.site")
	c.mustRefer(t, bp, "policy", "data.aws_iam_policy_document.site.json")
	sts := nested(c.dataSource(t, "aws_iam_policy_document.site"), "statement")
	if len(sts) != 1 {
		t.Fatalf("%d statements, want 1", len(sts))
	}
	st := sts[0]
	if !slices.Equal(c.strs(t, st, "actions"), []string{"s3:GetObject"}) {
		t.Errorf("actions %v, want s3:GetObject only", c.strs(t, st, "actions"))
	}
	p := nested(st, "principals")[0]
	if c.str(t, p, "type") != "Service" || !slices.Equal(c.strs(t, p, "identifiers"), []string{"cloudfront.amazonaws.com"}) {
		t.Error("the principal must be the CloudFront service")
	}
	cond := nested(st, "condition")
	if len(cond) != 1 || c.str(t, cond[0], "test") != "StringEquals" || c.str(t, cond[0], "variable") != "AWS:SourceArn" {
		t.Fatal("the statement needs the condition StringEquals AWS:SourceArn")
	}
	c.mustRefer(t, cond[0], "values", "aws_cloudfront_distribution.site.arn")

	for _, bucket := range []string{"site", "models"} {
		pab := c.resource(t, "aws_s3_bucket_public_access_block."+bucket)
		for _, flag := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			if v, ok := c.value(attr(t, pab, flag).Expr); !ok || !v.True() {
				t.Errorf("bucket %s: %s must be true", bucket, flag)
			}
		}
	}
}

// TestServerlessEndpoint: serverless_config from variables; a new
// configuration name on every change, created before the old one goes;
// the model by image digest and archive key.
func TestServerlessEndpoint(t *testing.T) {
	c := load(t)
	cfg := c.resource(t, "aws_sagemaker_endpoint_configuration.serverless")
	if _, ok := cfg.Body.Attributes["name_prefix"]; !ok {
		t.Error("the endpoint configuration needs name_prefix")
	}
	if _, ok := cfg.Body.Attributes["name"]; ok {
		t.Error("the endpoint configuration must not have a fixed name")
	}
	lc := nested(cfg, "lifecycle")
	if len(lc) != 1 {
		t.Fatal("the endpoint configuration needs a lifecycle block")
	}
	if v, ok := c.value(attr(t, lc[0], "create_before_destroy").Expr); !ok || !v.True() {
		t.Error("create_before_destroy must be true")
	}
	for attrName, variable := range map[string]string{
		"memory_size_in_mb": "serverless_memory_mb", "max_concurrency": "serverless_max_concurrency",
		"provisioned_concurrency": "serverless_provisioned_concurrency",
	} {
		c.mustRefer(t, cfg, "production_variants.serverless_config."+attrName, "var."+variable)
	}
	c.mustRefer(t, cfg, "production_variants.model_name", "aws_sagemaker_model.model.name")

	ep := c.resource(t, "aws_sagemaker_endpoint.endpoint")
	c.mustRefer(t, ep, "endpoint_config_name", "aws_sagemaker_endpoint_configuration.serverless.name")

	m := c.resource(t, "aws_sagemaker_model.model")
	c.mustRefer(t, m, "primary_container.image", "data.aws_ecr_image.model.id")
	c.mustRefer(t, m, "primary_container.model_data_url", "aws_s3_object.model_archive.key")
	c.mustRefer(t, m, "execution_role_arn", "aws_iam_role.sagemaker.arn")

	ecr := c.resource(t, "aws_ecr_repository.model")
	if v, ok := c.value(attr(t, ecr, "force_delete").Expr); !ok || !v.True() {
		t.Error("the ECR repository needs force_delete, or destroy fails while it holds images")
	}
	c.mustRefer(t, c.resource(t, "aws_ecr_lifecycle_policy.model"), "repository", "aws_ecr_repository.model.name")
}

// TestConfigJS: config.js is made from the API's URL and, with auth, the
// sign-in's domain and public client; it is uploaded with a short max-age
// instead of an invalidation, which would need the AWS CLI where Terraform
// runs.
func TestConfigJS(t *testing.T) {
	c := load(t)
	obj := c.resource(t, "aws_s3_object.config_js")
	if c.str(t, obj, "key") != "config.js" {
		t.Error("the object must be config.js")
	}
	for _, target := range []string{"aws_apigatewayv2_api.http.api_endpoint", "aws_cognito_user_pool_domain.users.domain",
		"aws_cognito_user_pool_client.api.id"} {
		c.mustRefer(t, obj, "content", target)
	}
	if cc := c.str(t, obj, "cache_control"); cc != "public, max-age=60" {
		t.Errorf("config.js cache_control %q, want a 60 s max-age", cc)
	}
	for key, b := range c.resources {
		for _, p := range b.Body.Blocks {
			if p.Type == "provisioner" && strings.Contains(c.resourceCommand(t, b), "aws ") {
				t.Errorf("%s runs the AWS CLI, which the machine running Terraform may lack", key)
			}
		}
	}
	client := c.resource(t, "aws_cognito_user_pool_client.api")
	if c.isTrue(client, "generate_secret") || !slices.Equal(c.strs(t, client, "allowed_oauth_flows"), []string{"code"}) {
		t.Error("the web UI's client must be public (no secret) and use the authorization-code flow")
	}
	c.mustRefer(t, client, "callback_urls", "aws_cloudfront_distribution.site.domain_name")
}

// TestNothingLeftBehind: buckets empty themselves on destroy, every log
// group is managed with a retention; alarms, dashboard and outputs exist.
func TestNothingLeftBehind(t *testing.T) {
	c := load(t)
	for key, b := range c.resources {
		switch {
		case strings.HasPrefix(key, "aws_s3_bucket.") && !c.isTrue(b, "force_destroy"):
			t.Errorf("%s needs force_destroy", key)
		case strings.HasPrefix(key, "aws_cloudwatch_log_group.") && b.Body.Attributes["retention_in_days"] == nil:
			t.Errorf("%s has no retention", key)
		}
	}
	for _, key := range []string{"aws_cloudwatch_log_group.lambda", "aws_cloudwatch_log_group.endpoint",
		"aws_cloudwatch_metric_alarm.api_5xx", "aws_cloudwatch_metric_alarm.api_latency",
		"aws_cloudwatch_metric_alarm.lambda_throttles", "aws_cloudwatch_metric_alarm.throttled", "aws_cloudwatch_dashboard.main"} {
		c.resource(t, key)
	}
	for _, out := range []string{"site_url", "api_url", "endpoint_name"} {
		if c.outputs[out] == nil {
			t.Errorf("no output %s", out)
		}
	}
}

func (c *config) isTrue(b *hclsyntax.Block, name string) bool {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return false
	}
	v, ok := c.value(a.Expr)
	return ok && v.True()
}

// resourceCommand returns the source text of a local-exec command.
func (c *config) resourceCommand(t *testing.T, b *hclsyntax.Block) string {
	t.Helper()
	for _, p := range b.Body.Blocks {
		if p.Type == "provisioner" && len(p.Labels) == 1 && p.Labels[0] == "local-exec" {
			a := p.Body.Attributes["command"]
			r := a.Expr.Range()
			return string(c.files[r.Filename][r.Start.Byte:r.End.Byte])
		}
	}
	t.Fatalf("%s has no local-exec provisioner", blockName(b))
	return ""
}
