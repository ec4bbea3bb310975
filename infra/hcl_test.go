package infra

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

var fixFormat = flag.Bool("fmt", false, "rewrite the .tf files as terraform fmt would")

// config is the parsed configuration: every top-level block by kind.
type config struct {
	files     map[string][]byte
	resources map[string]*hclsyntax.Block // "aws_s3_bucket.site"
	data      map[string]*hclsyntax.Block // "aws_iam_policy_document.site"
	variables map[string]*hclsyntax.Block
	outputs   map[string]*hclsyntax.Block
	locals    map[string]*hclsyntax.Attribute
	blocks    []*hclsyntax.Block // all top-level blocks, for walks
}

func load(t *testing.T) *config {
	t.Helper()
	paths, err := filepath.Glob("*.tf")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files: %v", err)
	}
	c := &config{files: map[string][]byte{}, resources: map[string]*hclsyntax.Block{}, data: map[string]*hclsyntax.Block{},
		variables: map[string]*hclsyntax.Block{}, outputs: map[string]*hclsyntax.Block{}, locals: map[string]*hclsyntax.Attribute{}}
	p := hclparse.NewParser()
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c.files[path] = src
		f, diags := p.ParseHCL(src, path)
		if diags.HasErrors() {
			t.Fatalf("%s does not parse: %v", path, diags)
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			c.blocks = append(c.blocks, b)
			key := strings.Join(b.Labels, ".")
			var m map[string]*hclsyntax.Block
			switch b.Type {
			case "resource":
				m = c.resources
			case "data":
				m = c.data
			case "variable":
				m = c.variables
			case "output":
				m = c.outputs
			case "locals":
				for name, a := range b.Body.Attributes {
					if _, dup := c.locals[name]; dup {
						t.Errorf("local.%s declared twice", name)
					}
					c.locals[name] = a
				}
				continue
			default:
				continue
			}
			if _, dup := m[key]; dup {
				t.Errorf("%s %s declared twice", b.Type, key)
			}
			m[key] = b
		}
	}
	return c
}

// resource returns a declared resource or fails.
func (c *config) resource(t *testing.T, key string) *hclsyntax.Block {
	t.Helper()
	return declared(t, c.resources, "resource", key)
}

// dataSource returns a declared data source or fails.
func (c *config) dataSource(t *testing.T, key string) *hclsyntax.Block {
	t.Helper()
	return declared(t, c.data, "data", key)
}

func declared(t *testing.T, blocks map[string]*hclsyntax.Block, kind, key string) *hclsyntax.Block {
	t.Helper()
	b, ok := blocks[key]
	if !ok {
		t.Fatalf("%s %s is not declared", kind, key)
	}
	return b
}

// nested returns the nested blocks of b of a type (dynamic blocks count,
// with their content block's body).
func nested(b *hclsyntax.Block, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, n := range b.Body.Blocks {
		switch {
		case n.Type == typ:
			out = append(out, n)
		case n.Type == "dynamic" && len(n.Labels) == 1 && n.Labels[0] == typ:
			for _, content := range n.Body.Blocks {
				if content.Type == "content" {
					out = append(out, content)
				}
			}
		}
	}
	return out
}

// attr returns an attribute of b; a dotted name goes through nested
// blocks, taking the first of each type.
func attr(t *testing.T, b *hclsyntax.Block, name string) *hclsyntax.Attribute {
	t.Helper()
	parts := strings.Split(name, ".")
	for _, p := range parts[:len(parts)-1] {
		bs := nested(b, p)
		if len(bs) == 0 {
			t.Fatalf("%s: no %s block", blockName(b), p)
		}
		b = bs[0]
	}
	a, ok := b.Body.Attributes[parts[len(parts)-1]]
	if !ok {
		t.Fatalf("%s: no %s", blockName(b), name)
	}
	return a
}

func blockName(b *hclsyntax.Block) string {
	return strings.TrimSpace(b.Type + " " + strings.Join(b.Labels, "."))
}

// value evaluates an expression that needs at most literal locals; ok is
// false for anything that depends on variables or resources.
func (c *config) value(expr hclsyntax.Expression) (cty.Value, bool) {
	locals := map[string]cty.Value{}
	for name, a := range c.locals {
		if len(a.Expr.Variables()) == 0 {
			if v, diags := a.Expr.Value(nil); !diags.HasErrors() {
				locals[name] = v
			}
		}
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"local": cty.ObjectVal(locals)}}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

// str is the string value of an attribute, or fails.
func (c *config) str(t *testing.T, b *hclsyntax.Block, name string) string {
	t.Helper()
	v, ok := c.value(attr(t, b, name).Expr)
	if !ok || v.Type() != cty.String {
		t.Fatalf("%s: %s is not a constant string", blockName(b), name)
	}
	return v.AsString()
}

// strs is the list of strings of an attribute, or fails.
func (c *config) strs(t *testing.T, b *hclsyntax.Block, name string) []string {
	t.Helper()
	v, ok := c.value(attr(t, b, name).Expr)
	if !ok || !(v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType()) {
		t.Fatalf("%s: %s is not a constant list", blockName(b), name)
	}
	var out []string
	for _, e := range v.AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out
}

// refs lists what an expression refers to, as "aws_x.name.attr",
// "data.aws_x.name.attr", "var.x", "local.x" (index steps dropped),
// following locals to what they refer to.
func (c *config) refs(expr hclsyntax.Expression) []string {
	seen := map[string]bool{}
	var walk func(e hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		for _, tr := range e.Variables() {
			r := traversalString(tr)
			if seen[r] {
				continue
			}
			seen[r] = true
			if name, ok := strings.CutPrefix(r, "local."); ok {
				name, _, _ = strings.Cut(name, ".")
				if a, ok := c.locals[name]; ok {
					walk(a.Expr)
				}
			}
		}
	}
	walk(expr)
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func traversalString(tr hcl.Traversal) string {
	parts := []string{tr.RootName()}
	for _, step := range tr[1:] {
		if a, ok := step.(hcl.TraverseAttr); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}

// refersTo reports whether expr refers (maybe through locals) to target,
// a prefix such as "aws_sagemaker_endpoint.endpoint.arn".
func (c *config) refersTo(expr hclsyntax.Expression, target string) bool {
	for _, r := range c.refs(expr) {
		if r == target || strings.HasPrefix(r, target+".") {
			return true
		}
	}
	return false
}

// mustRefer fails unless attribute name of b refers to target.
func (c *config) mustRefer(t *testing.T, b *hclsyntax.Block, name, target string) {
	t.Helper()
	if a := attr(t, b, name); !c.refersTo(a.Expr, target) {
		t.Errorf("%s: %s does not refer to %s (refers to %v)", blockName(b), name, target, c.refs(a.Expr))
	}
}

// walkExprs calls fn with every expression in a body, nested blocks
// included.
func walkExprs(body *hclsyntax.Body, fn func(hclsyntax.Expression)) {
	for _, a := range body.Attributes {
		fn(a.Expr)
	}
	for _, b := range body.Blocks {
		walkExprs(b.Body, fn)
	}
}
