# Build steps: Terraform runs our own commands, so that one
# `terraform apply` builds and ships everything. Each step runs again only
# when what it is built from changes.

locals {
  sagemaker = var.inference == "sagemaker"

  # Paths that end up in the state are relative to this module, so that
  # the same state plans the same on every machine; commands get absolute
  # ones.
  repo_root = abspath("${path.module}/..")
  build_dir = "${path.module}/.build"

  # Every Go source file and the module files: a change to any of them is a
  # new Lambda zip and a new container image.
  go_sources = sort([
    for f in fileset(local.repo_root, "**/*.go") : f
    if !endswith(f, "_test.go") && !startswith(f, "infra/") && !startswith(f, ".")
  ])
  source_hash = sha256(join(",", concat(
    [for f in local.go_sources : filesha256("${local.repo_root}/${f}")],
    [filesha256("${local.repo_root}/go.mod"), filesha256("${local.repo_root}/go.sum")],
  )))

  model_flags = join(" ", [for m in var.models : "--model '${m}'"])

  lambda_zip = "${local.build_dir}/lambda.zip"
  lambda_build = sha256(jsonencode({
    source    = local.source_hash
    inference = var.inference
    models    = var.models
  }))

  model_archive = "${local.build_dir}/model.tar.gz"
  image_tag     = substr(local.source_hash, 0, 24)
}

# The Lambda zip: bootstrap for linux/arm64, plus the models when the
# engine runs in the Lambda.
resource "terraform_data" "lambda_zip" {
  triggers_replace = [local.lambda_build]
  input            = local.lambda_build

  provisioner "local-exec" {
    working_dir = local.repo_root
    command     = "${var.classifly_command} image lambda --arch arm64 --out '${abspath(local.lambda_zip)}' ${local.sagemaker ? "" : local.model_flags}"
  }
}

# model.tar.gz for the SageMaker model: the .tflite files, their labels and
# a manifest.
resource "terraform_data" "model_archive" {
  count = local.sagemaker ? 1 : 0

  triggers_replace = [var.models, filesha256("${local.repo_root}/sagemaker/modelarchive.go")]

  provisioner "local-exec" {
    working_dir = local.repo_root
    command     = "${var.classifly_command} model package --out '${abspath(local.model_archive)}' ${local.model_flags}"
  }
}

# The container image, built without Docker and pushed to ECR with an
# ECR token from the AWS SDK; tagged with the source hash.
resource "terraform_data" "image_push" {
  count = local.sagemaker ? 1 : 0

  triggers_replace = [local.source_hash, aws_ecr_repository.model[0].repository_url]

  provisioner "local-exec" {
    working_dir = local.repo_root
    command     = "${var.classifly_command} image push --repo '${aws_ecr_repository.model[0].repository_url}' --tag '${local.image_tag}'"
  }
}

# The pushed image's digest: the SageMaker model names the image by digest,
# so that a new image is a new model.
data "aws_ecr_image" "model" {
  count = local.sagemaker ? 1 : 0

  repository_name = aws_ecr_repository.model[0].name
  image_tag       = local.image_tag

  depends_on = [terraform_data.image_push]
}
