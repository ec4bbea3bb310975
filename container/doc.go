// Package container builds Classifly's deployment artifacts without Docker:
//
//   - the SageMaker container image: one static linux/amd64 `classifly`
//     binary on an empty base, entrypoint `classifly serve --role endpoint
//     --offline` (SageMaker appends `serve`, which the command accepts),
//     as a Docker v2 schema 2 image — SageMaker refuses OCI manifests —
//     written as a `docker save` tarball (Image, WriteTarball) or
//     pushed to a registry such as Amazon ECR (Push, ECRAuth);
//   - the Lambda zip: the `bootstrap` executable of cmd/lambda for the
//     provided.al2023 runtime, and optionally models under model/
//     (WriteLambdaZip);
//   - the static binaries themselves, cross-compiled with CGO_ENABLED=0
//     (BuildBinary); the container's with EndpointTag, which leaves this
//     package and the registry and ECR clients out of it.
//
// Everything is reproducible: fixed timestamps and file order, no build
// id, no VCS stamp, so the same sources give the same image digest and the
// same zip, and Terraform sees a change only when there is one.
//
// Only the deploy tooling (`classifly image …`, the tests) imports it;
// nothing on the request path does.
package container
