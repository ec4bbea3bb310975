# What Terraform deploys is built before it runs, by infra/build.sh (the
# workflows run it first; so does a person, see the README), into .build/.
# Each artefact is named here by the hash of its own bytes: the builds are
# reproducible, so the hash changes exactly when what the artefact contains
# changes — its Go packages, embedded files (web UI, openapi.json) and
# models — and any machine that ran build.sh on the same commit plans the
# same. Nothing is built during plan or apply; only the image push runs
# then, because it needs the repository Terraform creates.

locals {
  sagemaker = var.inference == "sagemaker"

  # Relative to this module, so that the paths in the state are the same
  # on every machine.
  build_dir = "${path.module}/.build"
  build     = try(jsondecode(file("${local.build_dir}/build.json")), null)

  lambda_zip       = "${local.build_dir}/${local.sagemaker ? "lambda.zip" : "lambda-models.zip"}"
  model_archive    = "${local.build_dir}/model.tar.gz"
  container_binary = "${local.build_dir}/classifly-linux-amd64"

  # The image is made from the binary alone (container.Image), so the
  # binary's hash names it: a Lambda-only change leaves the image, the
  # SageMaker model and the endpoint alone.
  image_tag = substr(filesha256(local.container_binary), 0, 24)
  # The archive's key carries its hash: a new archive is a new object (the
  # old ones stay for the old model), and the model is replaced.
  model_archive_key = "models/${filesha256(local.model_archive)}/model.tar.gz"

  classifly_command = coalesce(var.classifly_command, abspath("${local.build_dir}/classifly"))
}

# Fails the plan early, with the fix, when the artefacts are missing or
# were built for other models.
resource "terraform_data" "build" {
  input = local.build

  lifecycle {
    precondition {
      condition     = local.build != null
      error_message = "No build artefacts in infra/.build: run infra/build.sh (with the models of var.models) before terraform plan or apply."
    }
    precondition {
      condition     = jsonencode(try(local.build.models, null)) == jsonencode(var.models)
      error_message = "infra/.build was built for other models than var.models: run infra/build.sh with the same models, in the same order."
    }
  }
}

# The container image, pushed to ECR (no Docker: the classifly CLI and an
# ECR token from the AWS SDK) and tagged with the binary's hash. A push of
# an image ECR already has uploads nothing.
resource "terraform_data" "image_push" {
  count = local.sagemaker ? 1 : 0

  triggers_replace = [local.image_tag, aws_ecr_repository.model[0].repository_url]

  provisioner "local-exec" {
    command = "'${local.classifly_command}' image push --binary '${abspath(local.container_binary)}' --repo '${aws_ecr_repository.model[0].repository_url}' --tag '${local.image_tag}'"
  }

  depends_on = [terraform_data.build]
}

# The pushed image's digest: the SageMaker model names the image by digest,
# so that a new image is a new model.
data "aws_ecr_image" "model" {
  count = local.sagemaker ? 1 : 0

  repository_name = aws_ecr_repository.model[0].name
  image_tag       = local.image_tag

  depends_on = [terraform_data.image_push]
}
