# The README's Terraform recipe, applied, planned and destroyed by scripts/terraform-test.sh:
# every KMS resource and data source of the AWS provider (v5) against the emulator, which also
# answers STS GetCallerIdentity, so the provider learns its account as it does from AWS.
variable "endpoint" {
  type    = string
  default = "http://127.0.0.1:8080"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
    kms = var.endpoint
    sts = var.endpoint
  }
}

provider "aws" {
  alias                       = "west"
  region                      = "us-west-2"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
    kms = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "me" {}

# A symmetric key with rotation, tags, an alias and a key policy of its own.
resource "aws_kms_key" "app" {
  description             = "app data"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  rotation_period_in_days = 180
  tags = {
    team = "payments"
  }
}

resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}

resource "aws_kms_key_policy" "app" {
  key_id = aws_kms_key.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Enable IAM policies"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_grant" "app" {
  name              = "app-decrypt"
  key_id            = aws_kms_key.app.key_id
  grantee_principal = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:role/app"
  operations        = ["Encrypt", "Decrypt", "GenerateDataKey"]
  constraints {
    encryption_context_equals = {
      department = "finance"
    }
  }
}

# An ECC signing key and its public key.
resource "aws_kms_key" "signing" {
  description              = "signing"
  deletion_window_in_days  = 7
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "ECC_NIST_P256"
}

data "aws_kms_public_key" "signing" {
  key_id = aws_kms_key.signing.key_id
}

# A multi-Region key and its replica in another Region.
resource "aws_kms_key" "global" {
  description             = "multi-Region"
  deletion_window_in_days = 7
  multi_region            = true
}

resource "aws_kms_replica_key" "global" {
  provider                = aws.west
  description             = "replica"
  deletion_window_in_days = 7
  primary_key_arn         = aws_kms_key.global.arn
}

# A key with imported material.
resource "aws_kms_external_key" "byok" {
  description             = "imported"
  deletion_window_in_days = 7
  key_material_base64     = "Wblj06fduthWggmsT0cLVoIMOkeLbc2kVfMud77i/JY="
  # Left unset, the provider disables the key after the import and waits 30 s for that to
  # read back 15 times in a row (it does the same against AWS).
  enabled = true
}

# Ciphertext made by Terraform, read back.
resource "aws_kms_ciphertext" "secret" {
  key_id    = aws_kms_key.app.key_id
  plaintext = "hunter2"
  context = {
    purpose = "test"
  }
}

data "aws_kms_secrets" "secret" {
  secret {
    name    = "password"
    payload = aws_kms_ciphertext.secret.ciphertext_blob
    context = {
      purpose = "test"
    }
  }
}

output "account_id" {
  value = data.aws_caller_identity.me.account_id
}

output "app_key_id" {
  value = aws_kms_key.app.key_id
}

output "grant_id" {
  value = aws_kms_grant.app.grant_id
}

output "replica_arn" {
  value = aws_kms_replica_key.global.arn
}

output "password" {
  value     = data.aws_kms_secrets.secret.plaintext["password"]
  sensitive = true
}
