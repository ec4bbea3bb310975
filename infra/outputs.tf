output "site_url" {
  description = "The web UI."
  value       = "https://${aws_cloudfront_distribution.site.domain_name}"
}

output "api_url" {
  description = "The API (POST /predict); the same paths also work through site_url."
  value       = aws_apigatewayv2_api.http.api_endpoint
}

output "endpoint_name" {
  description = "The SageMaker endpoint; empty with inference = \"lambda\"."
  value       = local.sagemaker ? aws_sagemaker_endpoint.endpoint[0].name : ""
}

output "function_name" {
  description = "The Lambda proxy."
  value       = aws_lambda_function.api.function_name
}

output "dashboard_url" {
  description = "The CloudWatch dashboard."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards:name=${aws_cloudwatch_dashboard.main.dashboard_name}"
}

output "cognito_user_pool_id" {
  description = "With enable_auth: the user pool that issues the API's tokens."
  value       = var.enable_auth ? aws_cognito_user_pool.users[0].id : ""
}

output "cognito_client_id" {
  description = "With enable_auth: the app client id (the tokens' audience)."
  value       = var.enable_auth ? aws_cognito_user_pool_client.api[0].id : ""
}

output "github_deploy_role_arn" {
  description = "With github_repository: the role for AWS_DEPLOY_ROLE_ARN (pushes to main only)."
  value       = local.github ? aws_iam_role.github["deploy"].arn : ""
}

output "github_plan_role_arn" {
  description = "With github_repository: the role for AWS_PLAN_ROLE_ARN (pull requests, read-only)."
  value       = local.github ? aws_iam_role.github["plan"].arn : ""
}
