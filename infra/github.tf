# Optional: the roles the workflows assume through GitHub's OIDC provider
# (no stored keys). With github_repository set, this stack creates them:
#
#   deploy  trusted only for pushes to main of that repository (subject
#           repo:OWNER/REPO:ref:refs/heads/main), so a workflow run from
#           any other branch, a tag or a pull request cannot deploy;
#   plan    trusted only for its pull requests, read-only.
#
# Apply once from a machine with administrator credentials (the workflows
# cannot create the roles they assume), then set the repository variables
# AWS_DEPLOY_ROLE_ARN and AWS_PLAN_ROLE_ARN from the outputs. The roles are
# named github-NAME-…, outside the NAME-* prefix that the deploy role may
# manage, so a deploy cannot widen its own rights.

locals {
  github       = var.github_repository != ""
  github_oidc  = "token.actions.githubusercontent.com"
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  oidc_arn     = local.github ? coalesce(var.github_oidc_provider_arn, try(aws_iam_openid_connect_provider.github[0].arn, "")) : ""
  deploy_sub   = "repo:${var.github_repository}:ref:refs/heads/main"
  plan_sub     = "repo:${var.github_repository}:pull_request"
  stack_prefix = "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-*"
}

# One per account: give github_oidc_provider_arn if the account has it.
resource "aws_iam_openid_connect_provider" "github" {
  count = local.github && var.github_oidc_provider_arn == "" ? 1 : 0

  url            = "https://${local.github_oidc}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "github_trust" {
  for_each = { for role, sub in { deploy = local.deploy_sub, plan = local.plan_sub } : role => sub if local.github }

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc}:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = data.aws_iam_policy_document.github_trust

  name                 = "github-${var.name}-${each.key}"
  assume_role_policy   = each.value.json
  max_session_duration = 3600
}

# Deploy: everything but IAM (PowerUserAccess), plus the IAM actions that
# this stack's own roles need, on those roles only.
resource "aws_iam_role_policy_attachment" "github_deploy" {
  count = local.github ? 1 : 0

  role       = aws_iam_role.github["deploy"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess"
}

data "aws_iam_policy_document" "github_deploy_iam" {
  count = local.github ? 1 : 0

  statement {
    sid = "StackRoles"
    actions = ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
    "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PassRole"]
    resources = [local.stack_prefix]
  }
  statement {
    sid       = "ReadIAM"
    actions   = ["iam:Get*", "iam:List*"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "github_deploy_iam" {
  count = local.github ? 1 : 0

  name   = "stack-roles"
  role   = aws_iam_role.github["deploy"].id
  policy = data.aws_iam_policy_document.github_deploy_iam[0].json
}

# Plan: read-only (the state bucket included, through ReadOnlyAccess).
resource "aws_iam_role_policy_attachment" "github_plan" {
  count = local.github ? 1 : 0

  role       = aws_iam_role.github["plan"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}
