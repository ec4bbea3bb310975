# The API proxy: cmd/lambda as the provided.al2023 bootstrap on arm64. It
# runs the same API handler as `classifly serve`, with inference on the
# SageMaker endpoint or in the function itself.

locals {
  function_name = "${var.name}-api"
  lambda_memory = coalesce(var.lambda_memory_mb, local.sagemaker ? 512 : 2048)
  metrics_ns    = "Classifly"
}

# Created here so that it has a retention and goes away with destroy; the
# name is the one Lambda writes to.
resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name_prefix        = "${var.name}-lambda-"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

# Least privilege: write its own log group, invoke this one endpoint.
data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }

  dynamic "statement" {
    for_each = local.sagemaker ? [1] : []
    content {
      sid     = "InvokeEndpoint"
      actions = ["sagemaker:InvokeEndpoint"]
      # The endpoint's own ARN (names appear lower-cased in ARNs: never
      # build it by hand).
      resources = [aws_sagemaker_endpoint.endpoint[0].arn]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "proxy"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

resource "aws_lambda_function" "api" {
  function_name = local.function_name
  role          = aws_iam_role.lambda.arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = ["arm64"]
  memory_size   = local.lambda_memory
  timeout       = var.lambda_timeout_seconds

  # Built by build.sh; the base64 SHA-256 is the form the provider stores,
  # so a plan shows an update exactly when the zip's bytes change.
  filename         = local.lambda_zip
  source_code_hash = filebase64sha256(local.lambda_zip)

  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      CLASSIFLY_INFERENCE          = var.inference
      CLASSIFLY_SAGEMAKER_ENDPOINT = local.sagemaker ? aws_sagemaker_endpoint.endpoint[0].name : ""
      CLASSIFLY_MODELS             = join(",", [for m in var.models : trimsuffix(basename(m), ".tflite")])
      CLASSIFLY_METRICS_NAMESPACE  = local.metrics_ns
      # Inside the function's own timeout, so that a slow request still
      # gets its 504 answer out.
      CLASSIFLY_REQUEST_TIMEOUT = "${var.lambda_timeout_seconds - 1}s"
    }
  }

  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.lambda, terraform_data.build]
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/*"
}
