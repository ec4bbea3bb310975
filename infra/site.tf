# The web UI: web/static in a private S3 bucket, served by CloudFront
# through an origin access control. CloudFront also passes /predict (and
# the other API paths the page reads) to the API, uncached.

locals {
  site_dir = "${path.module}/../web/static"
  # config.js is generated below; the rest is uploaded as it is.
  site_files = toset([for f in fileset(local.site_dir, "**") : f if f != "config.js"])
  content_types = {
    html = "text/html; charset=utf-8"
    js   = "text/javascript; charset=utf-8"
    css  = "text/css; charset=utf-8"
    svg  = "image/svg+xml"
    png  = "image/png"
    ico  = "image/x-icon"
    json = "application/json"
    txt  = "text/plain; charset=utf-8"
  }

  # Where the page finds the API and, with enable_auth, how it signs in
  # (Cognito's hosted UI, authorization code + PKCE: a public client, no
  # secret in the page). The same format as web/static/config.js.
  site_config = {
    apiBase = aws_apigatewayv2_api.http.api_endpoint
    auth = var.enable_auth ? {
      authority   = "https://${aws_cognito_user_pool_domain.users[0].domain}.auth.${var.region}.amazoncognito.com"
      clientId    = aws_cognito_user_pool_client.api[0].id
      scope       = "openid email"
      redirectUri = "https://${aws_cloudfront_distribution.site.domain_name}/"
    } : null
  }
  config_js = <<-EOT
    // Written by Terraform (infra/site.tf): where the page finds the Classifly API.
    window.CLASSIFLY_CONFIG = ${jsonencode(local.site_config)};
  EOT

  # CloudFront managed policies.
  caching_optimized             = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  caching_disabled              = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  all_viewer_except_host_header = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
}

resource "aws_s3_bucket" "site" {
  bucket_prefix = "${var.name}-site-"
  force_destroy = true # destroy empties it first
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_object" "site" {
  for_each = local.site_files

  bucket       = aws_s3_bucket.site.id
  key          = each.value
  source       = "${local.site_dir}/${each.value}"
  etag         = filemd5("${local.site_dir}/${each.value}")
  content_type = lookup(local.content_types, reverse(split(".", each.value))[0], "application/octet-stream")
  # Short, so that a deploy shows within a minute without an invalidation
  # (which would need the AWS CLI where Terraform runs); the files are
  # small and CloudFront revalidates them cheaply.
  cache_control = "public, max-age=60"
}

resource "aws_s3_object" "config_js" {
  bucket        = aws_s3_bucket.site.id
  key           = "config.js"
  content       = local.config_js
  content_type  = "text/javascript; charset=utf-8"
  cache_control = "public, max-age=60"
}

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${var.name}-site"
  description                       = "CloudFront reads the private site bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "site" {
  enabled             = true
  is_ipv6_enabled     = true
  comment             = "${var.name}: web UI and API"
  default_root_object = "index.html"
  price_class         = var.price_class
  http_version        = "http2and3"

  origin {
    origin_id                = "site"
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  origin {
    origin_id   = "api"
    domain_name = replace(aws_apigatewayv2_api.http.api_endpoint, "https://", "")

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      origin_read_timeout    = 30
    }
  }

  default_cache_behavior {
    target_origin_id       = "site"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = local.caching_optimized
    compress               = true
  }

  # The API, never cached; every viewer header but Host (API Gateway must
  # see its own host name) reaches it, Authorization included.
  ordered_cache_behavior {
    path_pattern             = "/predict"
    target_origin_id         = "api"
    viewer_protocol_policy   = "https-only"
    allowed_methods          = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods           = ["GET", "HEAD"]
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = local.all_viewer_except_host_header
    compress                 = true
  }

  ordered_cache_behavior {
    path_pattern             = "/models"
    target_origin_id         = "api"
    viewer_protocol_policy   = "https-only"
    allowed_methods          = ["GET", "HEAD", "OPTIONS"]
    cached_methods           = ["GET", "HEAD"]
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = local.all_viewer_except_host_header
    compress                 = true
  }

  ordered_cache_behavior {
    path_pattern             = "/openapi.json"
    target_origin_id         = "api"
    viewer_protocol_policy   = "https-only"
    allowed_methods          = ["GET", "HEAD", "OPTIONS"]
    cached_methods           = ["GET", "HEAD"]
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = local.all_viewer_except_host_header
    compress                 = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

# Only this distribution may read the bucket.
data "aws_iam_policy_document" "site" {
  statement {
    sid       = "CloudFrontReadsSite"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.site.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = data.aws_iam_policy_document.site.json

  depends_on = [aws_s3_bucket_public_access_block.site]
}
