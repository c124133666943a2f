# A stack that works offline: only the built-in terraform_data resource (no provider to download) and the
# local backend, whose path comes from -backend-config like the real stacks' S3 settings.
terraform {
  required_version = ">= 1.4"

  backend "local" {}
}
