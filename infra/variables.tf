variable "region" {
  description = "AWS region for everything (CloudFront is global; its origins live here)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name; lower-case letters, digits and hyphens. Change it to deploy a second stack in the same account."
  type        = string
  default     = "classifly"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,23}$", var.name))
    error_message = "name must be 2-24 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "inference" {
  description = "Where the model runs: \"sagemaker\" (a SageMaker Serverless endpoint behind the Lambda proxy) or \"lambda\" (the engine inside the Lambda; no SageMaker at all)."
  type        = string
  default     = "sagemaker"

  validation {
    condition     = contains(["sagemaker", "lambda"], var.inference)
    error_message = "inference must be \"sagemaker\" or \"lambda\"."
  }
}

variable "models" {
  description = "Models to serve, known names or .tflite paths (relative to the repository root); the first is the default."
  type        = list(string)
  default     = ["mobilenet_v2_1.0_224_quant"]

  validation {
    condition     = length(var.models) > 0
    error_message = "Give at least one model."
  }
}

variable "classifly_command" {
  description = "The classifly CLI that pushes the container image (path or command); empty means the one infra/build.sh built (.build/classifly), so apply needs no Go."
  type        = string
  default     = ""
}

variable "serverless_memory_mb" {
  description = "Memory of the SageMaker Serverless endpoint, MB (1024 to 6144 in steps of 1024; vCPUs scale with it)."
  type        = number
  default     = 2048

  validation {
    condition     = contains([1024, 2048, 3072, 4096, 5120, 6144], var.serverless_memory_mb)
    error_message = "serverless_memory_mb must be one of 1024, 2048, 3072, 4096, 5120, 6144."
  }
}

variable "serverless_max_concurrency" {
  description = "Most invocations the endpoint runs at once (1-200); more are throttled and retried by the proxy."
  type        = number
  default     = 5

  validation {
    condition     = var.serverless_max_concurrency >= 1 && var.serverless_max_concurrency <= 200
    error_message = "serverless_max_concurrency must be between 1 and 200."
  }
}

variable "serverless_provisioned_concurrency" {
  description = "Warm instances kept ready (no cold starts, billed while idle); 0 for none. At most serverless_max_concurrency."
  type        = number
  default     = 0

  validation {
    condition     = var.serverless_provisioned_concurrency >= 0 && var.serverless_provisioned_concurrency <= 200
    error_message = "serverless_provisioned_concurrency must be between 0 and 200."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the Lambda function, MB; null picks 512 for inference in SageMaker and 2048 (more vCPU) for inference in Lambda."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_memory_mb == null || (coalesce(var.lambda_memory_mb, 128) >= 128 && coalesce(var.lambda_memory_mb, 128) <= 10240)
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Lambda timeout, seconds. API Gateway stops waiting at 30 s, so at most 29."
  type        = number
  default     = 29

  validation {
    condition     = var.lambda_timeout_seconds >= 5 && var.lambda_timeout_seconds <= 29
    error_message = "lambda_timeout_seconds must be between 5 and 29."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrency reserved for (and capping) the Lambda; -1 for none. New accounts with a low quota cannot reserve any."
  type        = number
  default     = -1
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second that the API accepts (the $default stage's rate limit); more get 429. Low by default: it caps the worst-case bill (see the README's costs)."
  type        = number
  default     = 2

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be positive: 0 would refuse every request."
  }
}

variable "api_throttling_burst_limit" {
  description = "Requests the API accepts in a burst above the rate limit."
  type        = number
  default     = 5

  validation {
    condition     = var.api_throttling_burst_limit > 0
    error_message = "api_throttling_burst_limit must be positive: 0 would refuse every request."
  }
}

variable "cors_allow_origins" {
  description = "Origins that may call the API from a browser. The web UI on CloudFront calls it cross-origin; \"*\" is safe here because the API uses no cookies (credentials are bearer tokens)."
  type        = list(string)
  default     = ["*"]
}

variable "api_detailed_metrics" {
  description = "Per-route CloudWatch metrics for the API (billed as custom metrics); the stage's own metrics are always there."
  type        = bool
  default     = false
}

variable "monthly_budget_usd" {
  description = "With a value above 0, an AWS Budgets cost budget for this stack (by its Stack tag) that e-mails alarm_email at 80 % of actual and 100 % of forecast spend; 0 for none."
  type        = number
  default     = 0

  validation {
    condition     = var.monthly_budget_usd >= 0
    error_message = "monthly_budget_usd must be 0 (no budget) or a positive amount of US dollars."
  }
}

variable "enable_auth" {
  description = "Create a Cognito user pool with a hosted sign-in page, require its JWTs on POST /predict (API Gateway JWT authorizer), and make the web UI sign in (authorization code + PKCE)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days to keep the Lambda, API access and SageMaker endpoint logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …)."
  }
}

variable "alarm_email" {
  description = "E-mail address that receives the alarms (it must confirm the SNS subscription); empty for no notifications."
  type        = string
  default     = ""
}

variable "latency_alarm_threshold_ms" {
  description = "The latency alarm fires when the API's p90 latency stays above this many milliseconds."
  type        = number
  default     = 5000
}

variable "price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "ecr_keep_images" {
  description = "Container images kept in ECR; older ones expire."
  type        = number
  default     = 5
}

variable "github_repository" {
  description = "OWNER/REPO whose workflows deploy this stack; set it to create the OIDC deploy role (main branch only) and plan role (pull requests). Empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/REPO."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's existing token.actions.githubusercontent.com OIDC provider; empty creates one (there can be only one per account)."
  type        = string
  default     = ""
}

variable "enable_batch_transform" {
  description = "With inference = \"sagemaker\": a bucket and permissions for SageMaker Batch Transform jobs over the same image and models (pictures under input/, JSON lines under output/); the output batch_transform_command starts one. Jobs bill per instance-second while they run."
  type        = bool
  default     = false
}

variable "batch_instance_type" {
  description = "Instance type of a Batch Transform job (CPU; the container is linux/amd64)."
  type        = string
  default     = "ml.m5.large"
}

variable "batch_max_concurrent_transforms" {
  description = "Pictures a Batch Transform job sends to its instance at once (about its vCPU count: ml.m5.large has 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.batch_max_concurrent_transforms >= 1
    error_message = "batch_max_concurrent_transforms must be at least 1."
  }
}
