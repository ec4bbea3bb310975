#!/usr/bin/env bash
# Builds what Terraform deploys, into infra/.build/, before plan or apply:
#
#   classifly                  the CLI for this machine (pushes the image)
#   classifly-linux-amd64      the container's binary (no deploy commands); the image is made
#                              from it alone, so its hash is the image tag
#   lambda.zip                 bootstrap for linux/arm64 (inference in SageMaker)
#   lambda-models.zip          the same with the models (inference in Lambda)
#   model.tar.gz               the models and their manifest (SageMaker)
#   build.json                 which models, checked against var.models
#
# Every artefact is reproducible (no timestamps, paths or build ids), and
# Terraform names each by the hash of its own bytes: a change that does not
# reach an artefact's contents leaves it — and what is deployed from it —
# alone. Usage, from anywhere:  infra/build.sh [MODEL]...  (default: the
# default model; give the same models as var.models, the first being the
# default). Needs Go; no Docker.
set -euo pipefail
cd "$(dirname "$0")/.."

out=infra/.build
if [ "$#" -eq 0 ]; then
  set -- mobilenet_v2_1.0_224_quant
fi
model_flags=()
json=""
for m in "$@"; do
  model_flags+=(--model "$m")
  json+="${json:+,}\"$m\""
done

mkdir -p "$out"
CGO_ENABLED=0 go build -trimpath -o "$out/classifly" ./cmd/classifly
cli=$out/classifly

"$cli" image binary --package ./cmd/classifly --arch amd64 --out "$out/classifly-linux-amd64"
"$cli" image binary --package ./cmd/lambda --arch arm64 --out "$out/bootstrap-linux-arm64"
"$cli" image lambda --binary "$out/bootstrap-linux-arm64" --out "$out/lambda.zip"
"$cli" image lambda --binary "$out/bootstrap-linux-arm64" --out "$out/lambda-models.zip" "${model_flags[@]}"
"$cli" model package --out "$out/model.tar.gz" "${model_flags[@]}"
printf '{"models":[%s]}\n' "$json" > "$out/build.json"

( cd "$out" && sha256sum classifly-linux-amd64 lambda.zip lambda-models.zip model.tar.gz )
