# The public API: an API Gateway HTTP API whose routes all go to the Lambda
# proxy with payload format 2.0, on the $default stage (no stage prefix in
# paths) with throttling and access logs.

resource "aws_apigatewayv2_api" "http" {
  name          = "${var.name}-api"
  protocol_type = "HTTP"
  description   = "Classifly image classification API"

  # API Gateway answers preflight requests itself and adds these headers.
  cors_configuration {
    allow_origins  = var.cors_allow_origins
    allow_methods  = ["GET", "POST", "OPTIONS"]
    allow_headers  = ["authorization", "content-type", "x-api-key", "x-request-id"]
    expose_headers = ["retry-after", "x-request-id"]
    max_age        = 600
  }
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.api.invoke_arn
  payload_format_version = "2.0" # the provider's default is 1.0, which the proxy refuses
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "predict" {
  api_id             = aws_apigatewayv2_api.http.id
  route_key          = "POST /predict"
  target             = "integrations/${aws_apigatewayv2_integration.lambda.id}"
  authorization_type = var.enable_auth ? "JWT" : "NONE"
  authorizer_id      = var.enable_auth ? aws_apigatewayv2_authorizer.cognito[0].id : null
}

# What the web UI reads besides /predict; public.
resource "aws_apigatewayv2_route" "read" {
  for_each = toset(["GET /models", "GET /openapi.json", "GET /healthz"])

  api_id    = aws_apigatewayv2_api.http.id
  route_key = each.key
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/apigateway/${var.name}-api"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true

  # Both limits must be set: a block without them means 0, and every call
  # gets 429.
  # Per-route metrics are billed as custom metrics: off unless asked for.
  default_route_settings {
    throttling_rate_limit    = var.api_throttling_rate_limit
    throttling_burst_limit   = var.api_throttling_burst_limit
    detailed_metrics_enabled = var.api_detailed_metrics
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      latency            = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationError   = "$context.integrationErrorMessage"
      authorizerError    = "$context.authorizer.error"
      userAgent          = "$context.identity.userAgent"
    })
  }
}

# Optional sign-in: a Cognito user pool whose tokens (ID or access) the API
# checks before the Lambda runs.
resource "aws_cognito_user_pool" "users" {
  count = var.enable_auth ? 1 : 0

  name                     = "${var.name}-users"
  deletion_protection      = "INACTIVE" # destroy must be able to remove it
  auto_verified_attributes = ["email"]
  username_attributes      = ["email"]

  password_policy {
    minimum_length    = 12
    require_lowercase = true
    require_uppercase = true
    require_numbers   = true
    require_symbols   = false
  }
}

# The web UI's sign-in: Cognito's hosted UI on this domain prefix (unique
# per account and stack name).
resource "aws_cognito_user_pool_domain" "users" {
  count = var.enable_auth ? 1 : 0

  domain       = "${var.name}-${data.aws_caller_identity.current.account_id}"
  user_pool_id = aws_cognito_user_pool.users[0].id
}

# A public client: the page signs in with the authorization-code flow and
# PKCE, so it holds no secret; the redirect goes back to the site itself.
resource "aws_cognito_user_pool_client" "api" {
  count = var.enable_auth ? 1 : 0

  name                          = "${var.name}-api"
  user_pool_id                  = aws_cognito_user_pool.users[0].id
  generate_secret               = false
  explicit_auth_flows           = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors = "ENABLED"

  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = ["https://${aws_cloudfront_distribution.site.domain_name}/"]
  logout_urls                          = ["https://${aws_cloudfront_distribution.site.domain_name}/"]
  access_token_validity                = 60
  id_token_validity                    = 60
  token_validity_units {
    access_token = "minutes"
    id_token     = "minutes"
  }
}

resource "aws_apigatewayv2_authorizer" "cognito" {
  count = var.enable_auth ? 1 : 0

  api_id           = aws_apigatewayv2_api.http.id
  name             = "cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    audience = [aws_cognito_user_pool_client.api[0].id]
    issuer   = "https://${aws_cognito_user_pool.users[0].endpoint}"
  }
}
