# Optional (enable_batch_transform): SageMaker Batch Transform with the same
# image and models as the endpoint — many pictures in S3 classified offline,
# one picture per object, one JSON line per picture out. Terraform has no
# transform job resource (a job is a run, not infrastructure): this makes a
# bucket with input/ and output/, lets the model's role use them, and prints
# the command that starts a job (output batch_transform_command).

locals {
  batch = local.sagemaker && var.enable_batch_transform
}

resource "aws_s3_bucket" "batch" {
  count = local.batch ? 1 : 0

  bucket_prefix = "${var.name}-batch-"
  force_destroy = true # destroy empties it first
}

resource "aws_s3_bucket_public_access_block" "batch" {
  count = local.batch ? 1 : 0

  bucket                  = aws_s3_bucket.batch[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# The job runs as the model's execution role: it lists and reads input/,
# and writes output/.
data "aws_iam_policy_document" "batch" {
  count = local.batch ? 1 : 0

  statement {
    sid       = "ListInput"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.batch[0].arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["input/*"]
    }
  }
  statement {
    sid       = "ReadInput"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.batch[0].arn}/input/*"]
  }
  statement {
    sid       = "WriteOutput"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.batch[0].arn}/output/*"]
  }
}

resource "aws_iam_role_policy" "batch" {
  count = local.batch ? 1 : 0

  name   = "batch-transform"
  role   = aws_iam_role.sagemaker[0].id
  policy = data.aws_iam_policy_document.batch[0].json
}

locals {
  # One picture per object (SplitType None, SingleRecord), each answer saved
  # as OBJECT.out holding one JSON line (AssembleWith None: the container's
  # answer already ends its line); MaxPayloadInMB within the container's
  # 10 MB body limit, as its /execution-parameters says.
  batch_command = local.batch ? join(" ", [
    "aws sagemaker create-transform-job --region ${var.region}",
    "--transform-job-name ${var.name}-$(date +%Y%m%d-%H%M%S)",
    "--model-name ${aws_sagemaker_model.model[0].name}",
    "--batch-strategy SingleRecord --max-payload-in-mb 10 --max-concurrent-transforms ${var.batch_max_concurrent_transforms}",
    "--transform-input '${jsonencode({ DataSource = { S3DataSource = { S3DataType = "S3Prefix", S3Uri = "s3://${aws_s3_bucket.batch[0].id}/input/" } }, ContentType = "application/x-image", SplitType = "None" })}'",
    "--transform-output '${jsonencode({ S3OutputPath = "s3://${aws_s3_bucket.batch[0].id}/output/", Accept = "application/jsonlines", AssembleWith = "None" })}'",
    "--transform-resources '${jsonencode({ InstanceType = var.batch_instance_type, InstanceCount = 1 })}'",
  ]) : ""
}

output "batch_transform_command" {
  description = "With enable_batch_transform: the command that classifies every picture under the batch bucket's input/ into output/ (needs the AWS CLI)."
  value       = local.batch_command
}

output "batch_bucket" {
  description = "With enable_batch_transform: the bucket whose input/ the job reads and output/ it writes."
  value       = local.batch ? aws_s3_bucket.batch[0].id : ""
}
