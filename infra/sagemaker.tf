# The model endpoint: a SageMaker Serverless endpoint running the
# classifly container (`classifly serve --role endpoint`) with the models of
# model.tar.gz. Only with inference = "sagemaker".

locals {
  endpoint_name = "${var.name}-endpoint"
}

resource "aws_ecr_repository" "model" {
  count = local.sagemaker ? 1 : 0

  name                 = "${var.name}-model"
  image_tag_mutability = "MUTABLE"
  force_delete         = true # destroy removes the images too

  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_ecr_lifecycle_policy" "model" {
  count = local.sagemaker ? 1 : 0

  repository = aws_ecr_repository.model[0].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_s3_bucket" "models" {
  count = local.sagemaker ? 1 : 0

  bucket_prefix = "${var.name}-models-"
  force_destroy = true # destroy empties it first
}

resource "aws_s3_bucket_public_access_block" "models" {
  count = local.sagemaker ? 1 : 0

  bucket                  = aws_s3_bucket.models[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Keyed by the archive's hash: new models are a new object, so that the
# SageMaker model (and with it the endpoint configuration) is replaced,
# while the old object stays for the old model during a rollout.
resource "aws_s3_object" "model_archive" {
  count = local.sagemaker ? 1 : 0

  bucket = aws_s3_bucket.models[0].id
  key    = local.model_archive_key
  source = local.model_archive

  # The new archive is there before the new model, and the old one goes
  # only after the endpoint has left the old model.
  lifecycle {
    create_before_destroy = true
  }

  depends_on = [terraform_data.build]
}

# The endpoint's execution role: read the model archives, pull this
# repository's images, write this endpoint's logs. Only SageMaker acting
# for this account may assume it (confused-deputy guard).
data "aws_iam_policy_document" "sagemaker_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:sagemaker:${var.region}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "sagemaker" {
  count = local.sagemaker ? 1 : 0

  name_prefix        = "${var.name}-sagemaker-"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

data "aws_iam_policy_document" "sagemaker" {
  count = local.sagemaker ? 1 : 0

  # Every archive, not only the current one: during a rollout or a
  # rollback the other model may still cold-start and download its own.
  statement {
    sid       = "ReadModelArchives"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.models[0].arn}/models/*"]
  }
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action takes no resource
  }
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [aws_ecr_repository.model[0].arn]
  }
  # SageMaker's own metrics need no permission of the role.
  statement {
    sid       = "EndpointLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.endpoint[0].arn, "${aws_cloudwatch_log_group.endpoint[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "sagemaker" {
  count = local.sagemaker ? 1 : 0

  name   = "endpoint"
  role   = aws_iam_role.sagemaker[0].id
  policy = data.aws_iam_policy_document.sagemaker[0].json
}

resource "aws_sagemaker_model" "model" {
  count = local.sagemaker ? 1 : 0

  execution_role_arn = aws_iam_role.sagemaker[0].arn

  primary_container {
    # By digest: a new image is a new model. The image is linux/amd64 with
    # a Docker v2 schema 2 manifest (SageMaker refuses OCI manifests).
    image          = "${aws_ecr_repository.model[0].repository_url}@${data.aws_ecr_image.model[0].id}"
    model_data_url = "s3://${aws_s3_bucket.models[0].id}/${aws_s3_object.model_archive[0].key}"
  }

  # The endpoint keeps serving the old model until the new configuration
  # is in service; only then may it go.
  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_iam_role_policy.sagemaker]
}

# The endpoint notices a new configuration only under a new name: hence
# name_prefix, and the new one created before the old one goes.
resource "aws_sagemaker_endpoint_configuration" "serverless" {
  count = local.sagemaker ? 1 : 0

  name_prefix = "${var.name}-"

  production_variants {
    variant_name = "AllTraffic"
    model_name   = aws_sagemaker_model.model[0].name

    serverless_config {
      memory_size_in_mb       = var.serverless_memory_mb
      max_concurrency         = var.serverless_max_concurrency
      provisioned_concurrency = var.serverless_provisioned_concurrency > 0 ? var.serverless_provisioned_concurrency : null
    }
  }

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.serverless_provisioned_concurrency <= var.serverless_max_concurrency
      error_message = "serverless_provisioned_concurrency must not exceed serverless_max_concurrency."
    }
  }
}

# Created here (not by SageMaker) so that it has a retention and goes away
# with destroy.
resource "aws_cloudwatch_log_group" "endpoint" {
  count = local.sagemaker ? 1 : 0

  name              = "/aws/sagemaker/Endpoints/${local.endpoint_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_sagemaker_endpoint" "endpoint" {
  count = local.sagemaker ? 1 : 0

  name                 = local.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.serverless[0].name

  depends_on = [aws_cloudwatch_log_group.endpoint]
}
