package infra

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// TestFormatted: every file is exactly as `terraform fmt` writes it
// (terraform fmt is hclwrite.Format). With -fmt, the files are rewritten.
func TestFormatted(t *testing.T) {
	c := load(t)
	for path, src := range c.files {
		want := hclwrite.Format(src)
		if bytes.Equal(src, want) {
			continue
		}
		if *fixFormat {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s is not formatted: run terraform fmt (or go test ./infra -fmt)", path)
	}
}

// TestVariablesDocumented: every variable has a type and a description.
func TestVariablesDocumented(t *testing.T) {
	c := load(t)
	for name, b := range c.variables {
		if _, ok := b.Body.Attributes["type"]; !ok {
			t.Errorf("variable %s has no type", name)
		}
		if d, ok := b.Body.Attributes["description"]; !ok {
			t.Errorf("variable %s has no description", name)
		} else if v, ok := c.value(d.Expr); !ok || v.Type() != cty.String || len(v.AsString()) < 10 {
			t.Errorf("variable %s: the description says nothing", name)
		}
	}
	v := c.variables["inference"]
	if v == nil || c.str(t, v, "default") != "sagemaker" || !strings.Contains(string(c.files["variables.tf"]), `contains(["sagemaker", "lambda"], var.inference)`) {
		t.Error(`variable inference must default to "sagemaker" and accept only "sagemaker" and "lambda"`)
	}
}

// TestReferencesResolve: every var., local., data. and resource reference
// names something declared — what `terraform validate` would catch first.
func TestReferencesResolve(t *testing.T) {
	c := load(t)
	builtin := map[string]bool{"path": true, "each": true, "count": true, "self": true, "terraform": true}
	for _, b := range c.blocks {
		body := b.Body
		if b.Type == "variable" { // its type is a type expression, not references
			body = &hclsyntax.Body{Blocks: b.Body.Blocks, Attributes: hclsyntax.Attributes{}}
			for name, a := range b.Body.Attributes {
				if name != "type" {
					body.Attributes[name] = a
				}
			}
		}
		walkExprs(body, func(e hclsyntax.Expression) {
			for _, tr := range e.Variables() {
				parts := strings.Split(traversalString(tr), ".")
				root := parts[0]
				var ok bool
				switch {
				case builtin[root]:
					ok = true
				case root == "var":
					_, ok = c.variables[parts[1]]
				case root == "local":
					_, ok = c.locals[parts[1]]
				case root == "data":
					ok = len(parts) > 2 && c.data[parts[1]+"."+parts[2]] != nil
				case len(parts) > 1:
					_, ok = c.resources[parts[0]+"."+parts[1]]
				}
				if !ok {
					t.Errorf("%s refers to %s, which is not declared", blockName(b), traversalString(tr))
				}
			}
		})
	}
}

// TestPredictRouteToEndpoint walks POST /predict → integration → Lambda →
// its role's policy → InvokeEndpoint on the endpoint's own ARN, and the
// Lambda's settings on the way.
func TestPredictRouteToEndpoint(t *testing.T) {
	c := load(t)
	route := c.resource(t, "aws_apigatewayv2_route.predict")
	if c.str(t, route, "route_key") != "POST /predict" {
		t.Errorf("route key %q", c.str(t, route, "route_key"))
	}
	c.mustRefer(t, route, "target", "aws_apigatewayv2_integration.lambda.id")
	c.mustRefer(t, route, "authorizer_id", "aws_apigatewayv2_authorizer.cognito.id")

	integ := c.resource(t, "aws_apigatewayv2_integration.lambda")
	if c.str(t, integ, "payload_format_version") != "2.0" || c.str(t, integ, "integration_type") != "AWS_PROXY" {
		t.Error("the integration must be AWS_PROXY with payload_format_version 2.0 (the provider defaults to 1.0)")
	}
	if v, ok := c.value(attr(t, integ, "timeout_milliseconds").Expr); !ok || v.AsBigFloat().Cmp(cty.NumberIntVal(30000).AsBigFloat()) > 0 {
		t.Error("integration timeout must be at most 30000 ms")
	}
	c.mustRefer(t, integ, "integration_uri", "aws_lambda_function.api.invoke_arn")

	fn := c.resource(t, "aws_lambda_function.api")
	if c.str(t, fn, "runtime") != "provided.al2023" || c.str(t, fn, "handler") != "bootstrap" ||
		!slices.Equal(c.strs(t, fn, "architectures"), []string{"arm64"}) {
		t.Error("the Lambda must be provided.al2023, handler bootstrap, arm64")
	}
	c.mustRefer(t, fn, "timeout", "var.lambda_timeout_seconds")
	if d, _ := c.value(attr(t, c.variables["lambda_timeout_seconds"], "default").Expr); d.AsBigFloat().Cmp(cty.NumberIntVal(29).AsBigFloat()) > 0 {
		t.Error("the Lambda timeout must default to at most 29 s (API Gateway's 30 s cap)")
	}
	c.mustRefer(t, fn, "source_code_hash", "local.lambda_zip")
	c.mustRefer(t, fn, "environment.variables", "aws_sagemaker_endpoint.endpoint.name")
	c.mustRefer(t, fn, "role", "aws_iam_role.lambda.arn")

	perm := c.resource(t, "aws_lambda_permission.api")
	c.mustRefer(t, perm, "source_arn", "aws_apigatewayv2_api.http.execution_arn")
	c.mustRefer(t, perm, "function_name", "aws_lambda_function.api")

	pol := c.resource(t, "aws_iam_role_policy.lambda")
	c.mustRefer(t, pol, "role", "aws_iam_role.lambda")
	c.mustRefer(t, pol, "policy", "data.aws_iam_policy_document.lambda.json")
	invoke := 0
	for _, st := range nested(c.dataSource(t, "aws_iam_policy_document.lambda"), "statement") {
		actions := c.strs(t, st, "actions")
		res := attr(t, st, "resources")
		if v, ok := c.value(res.Expr); ok && slices.Contains(v.AsValueSlice(), cty.StringVal("*")) {
			t.Errorf("the Lambda's policy grants %v on *", actions)
		}
		if slices.Contains(actions, "sagemaker:InvokeEndpoint") {
			invoke++
			if len(actions) != 1 || !c.refersTo(res.Expr, "aws_sagemaker_endpoint.endpoint.arn") {
				t.Errorf("InvokeEndpoint must be alone, on aws_sagemaker_endpoint.endpoint.arn; got %v on %v", actions, c.refs(res.Expr))
			}
		}
	}
	if invoke != 1 {
		t.Errorf("%d statements allow InvokeEndpoint, want 1", invoke)
	}
}

// TestStage: $default, auto-deployed, both throttling limits set from
// variables with positive defaults, access logs to a log group.
func TestStage(t *testing.T) {
	c := load(t)
	st := c.resource(t, "aws_apigatewayv2_stage.default")
	if c.str(t, st, "name") != "$default" {
		t.Error("the stage must be $default: /predict has no stage prefix")
	}
	if v, ok := c.value(attr(t, st, "auto_deploy").Expr); !ok || !v.True() {
		t.Error("auto_deploy must be true")
	}
	for _, limit := range []string{"throttling_rate_limit", "throttling_burst_limit"} {
		a := attr(t, st, "default_route_settings."+limit)
		variable := "api_" + limit
		if !c.refersTo(a.Expr, "var."+variable) {
			t.Errorf("%s must come from var.%s", limit, variable)
			continue
		}
		d, ok := c.value(attr(t, c.variables[variable], "default").Expr)
		if !ok || d.AsBigFloat().Sign() <= 0 || len(nested(c.variables[variable], "validation")) == 0 {
			t.Errorf("var.%s needs a positive default and a validation (0 means every call gets 429)", variable)
		}
	}
	c.mustRefer(t, st, "access_log_settings.destination_arn", "aws_cloudwatch_log_group.api.arn")
	c.mustRefer(t, st, "api_id", "aws_apigatewayv2_api.http.id")
	api := c.resource(t, "aws_apigatewayv2_api.http")
	if c.str(t, api, "protocol_type") != "HTTP" || len(nested(api, "cors_configuration")) != 1 {
		t.Error("the API must be an HTTP API with a CORS configuration")
	}
}
