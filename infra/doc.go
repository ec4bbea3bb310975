// Package infra holds Classifly's AWS deployment as Terraform (the *.tf
// files beside this one, build.sh, the committed .terraform.lock.hcl) and
// the Go tests that check it without AWS: every file parses and is
// formatted as `terraform fmt` formats it, every variable has a type and a
// description, every reference names something declared, and the wiring is
// what the design says — route → integration (payload 2.0) → Lambda →
// InvokeEndpoint on the endpoint's own ARN, throttling on the $default
// stage, CloudFront behaviours and the origin access control's bucket
// policy, the serverless endpoint configuration's replacement rules — plus
// the provider pin and lock file, artefacts named by their content hash,
// least-privilege roles, the default cost guards, and the workflows
// (tests before deploy, main-only OIDC trust, pipefail, pinned actions).
//
//	infra/build.sh && cd infra && terraform init && terraform apply
//
// deploys everything (README, "Deploying on AWS"); `go test ./infra -fmt`
// rewrites the files as terraform fmt would, for machines without
// Terraform.
package infra
