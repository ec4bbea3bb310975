# Alarms on what a user notices (server errors, slowness, throttling) and
# one dashboard with the whole path: API, Lambda, SageMaker, and the
# proxy's own metrics (Embedded Metric Format lines, namespace Classifly).

resource "aws_sns_topic" "alarms" {
  count = var.alarm_email != "" ? 1 : 0
  name  = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "alarms_email" {
  count = var.alarm_email != "" ? 1 : 0

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions = var.alarm_email != "" ? [aws_sns_topic.alarms[0].arn] : []
  api_dims      = { ApiId = aws_apigatewayv2_api.http.id, Stage = "$default" }
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name}-api-5xx"
  alarm_description   = "The API answered 5 or more server errors in each of 3 minutes."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = local.api_dims
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_latency" {
  alarm_name          = "${var.name}-api-latency"
  alarm_description   = "p90 latency of the API above ${var.latency_alarm_threshold_ms} ms for 15 minutes."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.api_dims
  extended_statistic  = "p90"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.latency_alarm_threshold_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${var.name}-lambda-throttles"
  alarm_description   = "Lambda refused invocations for lack of concurrency."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.api.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# 429s that the proxy itself answered: SageMaker kept throttling through
# the retries (max concurrency too low). API Gateway's own throttling
# (api_throttling_*) answers before the Lambda runs and is not counted here;
# it shows as the API's 4xx on the dashboard.
resource "aws_cloudwatch_metric_alarm" "throttled" {
  alarm_name          = "${var.name}-throttled"
  alarm_description   = "The Lambda proxy answered 10 or more 429s in 5 minutes because SageMaker kept throttling through its retries: raise serverless_max_concurrency (API Gateway's own 429s are not counted here)."
  namespace           = local.metrics_ns
  metric_name         = "Throttled"
  dimensions          = { FunctionName = aws_lambda_function.api.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 10
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Optional: a monthly cost budget for the account, e-mailed at 80 % of
# actual and 100 % of forecast spend. Account-wide on purpose: it needs no
# cost-allocation tag to be activated first, and it catches what a stack
# left behind too.
resource "aws_budgets_budget" "monthly" {
  count = var.monthly_budget_usd > 0 ? 1 : 0

  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = [var.alarm_email]
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = [var.alarm_email]
  }

  lifecycle {
    precondition {
      condition     = var.alarm_email != ""
      error_message = "monthly_budget_usd needs alarm_email: the budget e-mails it."
    }
  }
}

locals {
  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "API requests and errors"
        region = var.region
        stat   = "Sum"
        period = 60
        metrics = [
          ["AWS/ApiGateway", "Count", "ApiId", aws_apigatewayv2_api.http.id, "Stage", "$default"],
          [".", "4xx", ".", ".", ".", "."],
          [".", "5xx", ".", ".", ".", "."],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "API latency (ms)"
        region = var.region
        period = 60
        metrics = [
          ["AWS/ApiGateway", "Latency", "ApiId", aws_apigatewayv2_api.http.id, "Stage", "$default", { stat = "p50" }],
          ["...", { stat = "p90" }],
          [".", "IntegrationLatency", ".", ".", ".", ".", { stat = "p90" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title  = "Lambda"
        region = var.region
        stat   = "Sum"
        period = 60
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", aws_lambda_function.api.function_name],
          [".", "Errors", ".", "."],
          [".", "Throttles", ".", "."],
          [".", "Duration", ".", ".", { stat = "p90" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title  = "Proxy (Embedded Metric Format)"
        region = var.region
        period = 60
        metrics = [
          [local.metrics_ns, "Latency", "FunctionName", aws_lambda_function.api.function_name, { stat = "p90" }],
          [".", "BackendLatency", ".", ".", { stat = "p90" }],
          [".", "BackendAttempts", ".", ".", { stat = "Average" }],
          [".", "Throttled", ".", ".", { stat = "Sum" }],
          [".", "Errors", ".", ".", { stat = "Sum" }],
        ]
      }
    },
  ]
  sagemaker_widgets = [
    {
      type = "metric", x = 0, y = 12, width = 24, height = 6
      properties = {
        title  = "SageMaker endpoint (latencies in µs)"
        region = var.region
        period = 60
        metrics = [
          ["AWS/SageMaker", "Invocations", "EndpointName", local.endpoint_name, "VariantName", "AllTraffic", { stat = "Sum" }],
          [".", "Invocation5XXErrors", ".", ".", ".", ".", { stat = "Sum" }],
          [".", "ModelLatency", ".", ".", ".", ".", { stat = "p90" }],
          [".", "ModelSetupTime", ".", ".", ".", ".", { stat = "Maximum" }],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = concat(local.dashboard_widgets, [for w in local.sagemaker_widgets : w if local.sagemaker])
  })
}
