package infra

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow the tests read.
type workflow struct {
	On          map[string]any `yaml:"on"`
	Permissions map[string]string
	Defaults    defaults
	Jobs        map[string]struct {
		Uses        string
		Needs       any
		If          string
		Permissions map[string]string
		Defaults    defaults
		Env         map[string]string
		Steps       []struct {
			Name  string
			Uses  string
			Run   string
			Shell string
			With  map[string]string
		}
	}
}

type defaults struct {
	Run struct{ Shell string }
}

func loadWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	paths, err := filepath.Glob("../.github/workflows/*.yml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	out := map[string]workflow{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(src, &w); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = w
	}
	return out
}

// pipe finds a | that is not part of ||.
var pipe = regexp.MustCompile(`(^|[^|])\|([^|]|$)`)

// TestWorkflowPipefail: every step whose script pipes fails when any part
// of the pipe fails — GitHub runs an explicit `shell: bash` as
// `bash -eo pipefail`, but its default bash without pipefail — so a failed
// `terraform plan | tee` cannot show green.
func TestWorkflowPipefail(t *testing.T) {
	for file, w := range loadWorkflows(t) {
		for jobName, job := range w.Jobs {
			for _, st := range job.Steps {
				if !pipe.MatchString(st.Run) {
					continue
				}
				shell := cmpOr(st.Shell, job.Defaults.Run.Shell, w.Defaults.Run.Shell)
				if shell != "bash" && !strings.Contains(st.Run, "set -o pipefail") && !strings.Contains(st.Run, "set -euo pipefail") {
					t.Errorf("%s: job %s, step %q pipes without pipefail (shell %q)", file, jobName, st.Name, shell)
				}
			}
		}
	}
}

func cmpOr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

var pinned = regexp.MustCompile(`^[\w.-]+/[\w.-]+@[0-9a-f]{40}$`)

// TestWorkflowActionsPinned: third-party actions by full commit SHA (a tag
// can be moved), each with its version in a comment for humans.
func TestWorkflowActionsPinned(t *testing.T) {
	paths, _ := filepath.Glob("../.github/workflows/*.yml")
	for _, p := range paths {
		src, _ := os.ReadFile(p)
		for i, line := range strings.Split(string(src), "\n") {
			_, ref, ok := strings.Cut(line, "uses: ")
			if !ok || strings.HasPrefix(ref, "./") {
				continue
			}
			ref, comment, _ := strings.Cut(ref, " # ")
			if !pinned.MatchString(strings.TrimSpace(ref)) || !strings.HasPrefix(comment, "v") {
				t.Errorf("%s:%d: %q is not pinned to a commit SHA with a # vX comment", filepath.Base(p), i+1, strings.TrimSpace(line))
			}
		}
	}
}

// TestWorkflowDeployWiring: deploy runs the tests first and deploys only
// from main, with the OIDC token granted to that job alone; tests run once
// per change (pull requests, or the deploy's call on main), never twice;
// plan and deploy build the artefacts before Terraform and keep the lock
// file as committed.
func TestWorkflowDeployWiring(t *testing.T) {
	ws := loadWorkflows(t)
	deploy, test, plan := ws["deploy.yml"], ws["test.yml"], ws["plan.yml"]
	if deploy.Jobs["test"].Uses != "./.github/workflows/test.yml" {
		t.Error("deploy.yml must run test.yml as its job test")
	}
	job := deploy.Jobs["deploy"]
	needs := job.Needs
	if s, ok := needs.(string); ok {
		needs = []any{s}
	}
	if list, _ := needs.([]any); !slices.Contains(list, any("test")) {
		t.Errorf("the deploy job needs %v, want test", job.Needs)
	}
	if !strings.Contains(job.If, "github.ref == 'refs/heads/main'") {
		t.Errorf("the deploy job runs if %q, want only on main", job.If)
	}
	if deploy.Permissions["id-token"] != "" || job.Permissions["id-token"] != "write" {
		t.Error("only the deploy job may get an OIDC token")
	}
	if _, ok := test.On["push"]; ok {
		t.Error("test.yml runs on push as well as on pull requests and from deploy: twice per change")
	}
	for _, ev := range []string{"pull_request", "workflow_call"} {
		if _, ok := test.On[ev]; !ok {
			t.Errorf("test.yml does not run on %s", ev)
		}
	}
	if !strings.Contains(plan.Jobs["plan"].If, "head.repo.full_name == github.repository") {
		t.Error("plan.yml must skip pull requests from forks, which get no OIDC token")
	}
	for file, job := range map[string]string{"deploy.yml": "deploy", "plan.yml": "plan"} {
		// Without the repository, CI would plan to delete the roles it runs as.
		if got := ws[file].Jobs[job].Env["TF_VAR_github_repository"]; got != "${{ github.repository }}" {
			t.Errorf("%s: TF_VAR_github_repository is %q, want this repository (the CI roles' trust)", file, got)
		}
		var order []string
		for _, st := range ws[file].Jobs[job].Steps {
			switch {
			case strings.Contains(st.Run, "./build.sh"):
				order = append(order, "build")
			case strings.Contains(st.Run, "terraform init"):
				if !strings.Contains(st.Run, "-lockfile=readonly") {
					t.Errorf("%s: terraform init must keep the committed lock file (-lockfile=readonly)", file)
				}
				order = append(order, "init")
			case strings.Contains(st.Run, "terraform plan") || strings.Contains(st.Run, "terraform apply"):
				order = append(order, "terraform")
			case strings.HasPrefix(st.Uses, "hashicorp/setup-terraform@"):
				if v := st.With["terraform_version"]; !strings.HasPrefix(v, "~1.1") || v < "~1.11" {
					t.Errorf("%s: terraform_version %q, want 1.11 or later (use_lockfile)", file, v)
				}
			}
		}
		if !slices.Equal(order, []string{"build", "init", "terraform"}) {
			t.Errorf("%s: steps in order %v, want build.sh, terraform init, then plan/apply", file, order)
		}
	}
}
