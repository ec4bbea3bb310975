package infra

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestProviderPin: Terraform ≥ 1.11 (S3's own state locking, use_lockfile)
// and hashicorp/aws within 6.x, so that no run takes a 7.0 on its own.
func TestProviderPin(t *testing.T) {
	c := load(t)
	var tf *hclsyntax.Block
	for _, b := range c.blocks {
		if b.Type == "terraform" {
			tf = b
		}
	}
	if tf == nil {
		t.Fatal("no terraform block")
	}
	if v := c.str(t, tf, "required_version"); v != ">= 1.11" {
		t.Errorf("required_version %q, want \">= 1.11\"", v)
	}
	rp := nested(tf, "required_providers")
	if len(rp) != 1 {
		t.Fatal("no required_providers block")
	}
	aws, ok := c.value(attr(t, rp[0], "aws").Expr)
	if !ok || aws.GetAttr("source").AsString() != "hashicorp/aws" || aws.GetAttr("version").AsString() != "~> 6.0" {
		t.Errorf("aws provider %#v, want hashicorp/aws ~> 6.0", aws)
	}
}

var (
	h1Hash = regexp.MustCompile(`^h1:[A-Za-z0-9+/]{43}=$`)
	zhHash = regexp.MustCompile(`^zh:[0-9a-f]{64}$`)
)

// TestLockFile: the committed .terraform.lock.hcl selects one aws 6.x
// release for the same constraint, with well-formed checksums of both
// kinds (h1: of the unpacked provider per platform, zh: of the release's
// zips), as terraform init writes it.
func TestLockFile(t *testing.T) {
	src, err := os.ReadFile(".terraform.lock.hcl")
	if err != nil {
		t.Fatalf("the lock file must be committed: %v", err)
	}
	f, diags := hclparse.NewParser().ParseHCL(src, ".terraform.lock.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	blocks := f.Body.(*hclsyntax.Body).Blocks
	if len(blocks) != 1 || blocks[0].Type != "provider" || len(blocks[0].Labels) != 1 ||
		blocks[0].Labels[0] != "registry.terraform.io/hashicorp/aws" {
		t.Fatalf("the lock file must hold exactly the hashicorp/aws provider")
	}
	b := blocks[0]
	vals := map[string]cty.Value{}
	for name, a := range b.Body.Attributes {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		vals[name] = v
	}
	if !regexp.MustCompile(`^6\.\d+\.\d+$`).MatchString(vals["version"].AsString()) {
		t.Errorf("locked version %s is not a 6.x release", vals["version"].AsString())
	}
	if got := vals["constraints"].AsString(); got != "~> 6.0" {
		t.Errorf("locked constraints %q differ from versions.tf's ~> 6.0: terraform init would rewrite the file", got)
	}
	var h1, zh int
	for _, h := range vals["hashes"].AsValueSlice() {
		switch s := h.AsString(); {
		case h1Hash.MatchString(s):
			h1++
		case zhHash.MatchString(s):
			zh++
		default:
			t.Errorf("malformed hash %q", s)
		}
	}
	if h1 < 4 || zh < 4 {
		t.Errorf("%d h1: and %d zh: hashes: want the checksums of several platforms", h1, zh)
	}
}

// calls lists the functions an expression calls, locals followed.
func (c *config) calls(expr hclsyntax.Expression) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(e hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				out = append(out, fc.Name)
			}
			return nil
		})
		for _, r := range c.refs(e) {
			if name, ok := strings.CutPrefix(r, "local."); ok && !seen[name] {
				seen[name] = true
				if a := c.locals[strings.SplitN(name, ".", 2)[0]]; a != nil {
					walk(a.Expr)
				}
			}
		}
	}
	walk(expr)
	return out
}

// TestArtefactsByContentHash: Terraform builds nothing; it names the Lambda
// zip, the model archive and the container image by the hash of their own
// bytes, files that infra/build.sh writes, so any runner that ran build.sh
// plans and applies the same.
func TestArtefactsByContentHash(t *testing.T) {
	c := load(t)
	fn := c.resource(t, "aws_lambda_function.api")
	if !slices.Contains(c.calls(attr(t, fn, "source_code_hash").Expr), "filebase64sha256") {
		t.Error("the Lambda's source_code_hash must be filebase64sha256 of the zip")
	}
	c.mustRefer(t, fn, "filename", "local.lambda_zip")
	obj := c.resource(t, "aws_s3_object.model_archive")
	if !slices.Contains(c.calls(attr(t, obj, "key").Expr), "filesha256") {
		t.Error("the model archive's S3 key must carry its filesha256")
	}
	img := c.dataSource(t, "aws_ecr_image.model")
	if !slices.Contains(c.calls(attr(t, img, "image_tag").Expr), "filesha256") {
		t.Error("the image tag must be the container binary's filesha256")
	}
	push := c.resource(t, "terraform_data.image_push")
	c.mustRefer(t, push, "triggers_replace", "local.image_tag")
	if cmd := c.resourceCommand(t, push); !strings.Contains(cmd, "image push --binary") {
		t.Errorf("the push must package the prebuilt binary, not build one: %q", cmd)
	}
	for key, b := range c.resources {
		for _, p := range b.Body.Blocks {
			if p.Type != "provisioner" {
				continue
			}
			if cmd := c.resourceCommand(t, b); regexp.MustCompile(`image (lambda|build|binary)|model package|go (build|run)`).MatchString(cmd) {
				t.Errorf("%s builds during apply (%q): build.sh builds before plan", key, cmd)
			}
		}
	}

	// Every artefact Terraform reads, build.sh writes.
	script, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lambda.zip", "lambda-models.zip", "model.tar.gz", "classifly-linux-amd64", "build.json"} {
		if !strings.Contains(string(c.files["build.tf"]), name) {
			t.Errorf("build.tf does not name %s", name)
		}
		if !strings.Contains(string(script), `"$out/`+name+`"`) {
			t.Errorf("build.sh does not write %s", name)
		}
	}
	pre := nested(c.resource(t, "terraform_data.build"), "lifecycle")
	if len(pre) == 0 || len(nested(pre[0], "precondition")) < 2 {
		t.Error("terraform_data.build must check that the artefacts exist and match var.models")
	}
}

// TestSageMakerRole: the endpoint's role reads every archive under models/
// (the previous model may cold-start during a rollout or a rollback),
// nothing it does not need, and only SageMaker for this account may
// assume it.
func TestSageMakerRole(t *testing.T) {
	c := load(t)
	doc := c.dataSource(t, "aws_iam_policy_document.sagemaker")
	var actions []string
	for _, st := range nested(doc, "statement") {
		acts := c.strsOf(st, "actions")
		actions = append(actions, acts...)
		if slices.Contains(acts, "s3:GetObject") {
			r := attr(t, st, "resources").Expr.Range()
			if src := string(c.files[r.Filename][r.Start.Byte:r.End.Byte]); !strings.Contains(src, `/models/*"`) {
				t.Errorf("s3:GetObject on %s, want the bucket's models/*", src)
			}
		}
	}
	for _, unneeded := range []string{"s3:ListBucket", "cloudwatch:PutMetricData"} {
		if slices.Contains(actions, unneeded) {
			t.Errorf("the SageMaker role has %s, which it does not need", unneeded)
		}
	}
	var vars []string
	for _, st := range nested(c.dataSource(t, "aws_iam_policy_document.sagemaker_assume"), "statement") {
		for _, cond := range nested(st, "condition") {
			vars = append(vars, c.str(t, cond, "variable"))
		}
	}
	if !slices.Contains(vars, "aws:SourceAccount") || !slices.Contains(vars, "aws:SourceArn") {
		t.Errorf("the SageMaker trust policy's conditions %v lack aws:SourceAccount and aws:SourceArn", vars)
	}
}

// strsOf is strs without failing: nil for a non-constant list.
func (c *config) strsOf(b *hclsyntax.Block, name string) []string {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return nil
	}
	v, ok := c.value(a.Expr)
	if !ok || !(v.Type().IsListType() || v.Type().IsTupleType()) {
		return nil
	}
	var out []string
	for _, e := range v.AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out
}

// TestCostGuards: by default the API accepts a few requests per second,
// per-route metrics are off, and a budget is one variable away.
func TestCostGuards(t *testing.T) {
	c := load(t)
	for name, most := range map[string]int64{"api_throttling_rate_limit": 5, "api_throttling_burst_limit": 10} {
		v, ok := c.value(attr(t, c.variables[name], "default").Expr)
		if !ok || !v.LessThanOrEqualTo(cty.NumberIntVal(most)).True() {
			t.Errorf("%s defaults to %#v, want at most %d", name, v, most)
		}
	}
	stage := c.resource(t, "aws_apigatewayv2_stage.default")
	c.mustRefer(t, stage, "default_route_settings.detailed_metrics_enabled", "var.api_detailed_metrics")
	if v, _ := c.value(attr(t, c.variables["api_detailed_metrics"], "default").Expr); v.True() {
		t.Error("detailed metrics must be off by default")
	}
	budget := c.resource(t, "aws_budgets_budget.monthly")
	c.mustRefer(t, budget, "count", "var.monthly_budget_usd")
	c.mustRefer(t, budget, "limit_amount", "var.monthly_budget_usd")
}

// TestGitHubTrust: the deploy role trusts only pushes to main of one
// repository (an exact subject with the branch, not an environment or a
// wildcard), the plan role only its pull requests.
func TestGitHubTrust(t *testing.T) {
	c := load(t)
	for local, suffix := range map[string]string{"deploy_sub": ":ref:refs/heads/main", "plan_sub": ":pull_request"} {
		a := c.locals[local]
		if a == nil {
			t.Fatalf("local.%s is not declared", local)
		}
		r := a.Expr.Range()
		src := string(c.files[r.Filename][r.Start.Byte:r.End.Byte])
		if src != `"repo:${var.github_repository}`+suffix+`"` {
			t.Errorf("local.%s = %s, want the repository's %s subject", local, src, suffix)
		}
	}
	trust := c.dataSource(t, "aws_iam_policy_document.github_trust")
	conds := map[string]string{}
	for _, cond := range nested(nested(trust, "statement")[0], "condition") {
		conds[c.str(t, cond, "variable")] = c.str(t, cond, "test")
	}
	if conds["${local.github_oidc}:sub"] != "StringEquals" && conds["token.actions.githubusercontent.com:sub"] != "StringEquals" {
		t.Errorf("trust conditions %v: the subject must be matched exactly (StringEquals)", conds)
	}
	if !strings.Contains(string(c.files["github.tf"]), `"github-${var.name}-${each.key}"`) {
		t.Error("the roles must be named outside the stack's own prefix, so that a deploy cannot edit them")
	}
}

// TestBatchTransformRecipe: off by default; when on, the job runs the
// endpoint's own SageMaker model (same image, same archive), one picture per
// object, within the container's body limit, and the model's role may read
// only input/ and write only output/ of the batch bucket.
func TestBatchTransformRecipe(t *testing.T) {
	c := load(t)
	if v, _ := c.value(attr(t, c.variables["enable_batch_transform"], "default").Expr); v.True() {
		t.Error("Batch Transform must be off by default")
	}
	cmd := c.locals["batch_command"]
	if cmd == nil {
		t.Fatal("local.batch_command is not declared")
	}
	if !c.refersTo(cmd.Expr, "aws_sagemaker_model.model.name") {
		t.Error("the job must use the endpoint's SageMaker model")
	}
	r := cmd.Expr.Range()
	src := string(c.files[r.Filename][r.Start.Byte:r.End.Byte])
	for _, want := range []string{`SplitType = "None"`, "--batch-strategy SingleRecord", "--max-payload-in-mb 10",
		`ContentType = "application/x-image"`, `Accept = "application/jsonlines"`} {
		if !strings.Contains(src, want) {
			t.Errorf("the transform job command lacks %s", want)
		}
	}
	doc := c.dataSource(t, "aws_iam_policy_document.batch")
	for _, st := range nested(doc, "statement") {
		r := attr(t, st, "resources").Expr.Range()
		res := string(c.files[r.Filename][r.Start.Byte:r.End.Byte])
		acts := c.strsOf(st, "actions")
		switch {
		case slices.Contains(acts, "s3:GetObject") && !strings.Contains(res, "/input/*"),
			slices.Contains(acts, "s3:PutObject") && !strings.Contains(res, "/output/*"):
			t.Errorf("batch statement %v on %s: want reads of input/ and writes to output/ only", acts, res)
		}
	}
	c.mustRefer(t, c.resource(t, "aws_iam_role_policy.batch"), "role", "aws_iam_role.sagemaker.id")
}

// TestConditionalObjects: `cond ? { a = … } : {}` is an error in Terraform
// (the two results must have one type: an object with attribute a is not
// the empty object), which only a plan would otherwise find.
func TestConditionalObjects(t *testing.T) {
	c := load(t)
	for _, b := range c.blocks {
		hclsyntax.VisitAll(b.Body, func(n hclsyntax.Node) hcl.Diagnostics {
			cond, ok := n.(*hclsyntax.ConditionalExpr)
			if !ok {
				return nil
			}
			t1, ok1 := cond.TrueResult.(*hclsyntax.ObjectConsExpr)
			f1, ok2 := cond.FalseResult.(*hclsyntax.ObjectConsExpr)
			if ok1 && ok2 && (len(t1.Items) == 0) != (len(f1.Items) == 0) {
				r := cond.Range()
				t.Errorf("%s:%d: a conditional between an object and {}: Terraform refuses inconsistent result types", r.Filename, r.Start.Line)
			}
			return nil
		})
	}
}
