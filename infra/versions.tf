terraform {
  # The workflows keep the state in S3 with S3's own locking
  # (use_lockfile), which needs Terraform 1.11.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      # 6.x: source_code_hash taken as given (not rewritten on refresh)
      # and serverless endpoints' create/update timeouts are in every
      # release; the lock file pins the exact release and its checksums.
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "classifly"
      Stack     = var.name
      ManagedBy = "terraform"
    }
  }
}

# This account and partition, for ARNs and the confused-deputy conditions of
# the trust policies.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
