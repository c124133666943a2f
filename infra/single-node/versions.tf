terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # Partial configuration: bucket, key, region (and use_lockfile) come from the environment's infra.backend
  # as -backend-config=KEY=VALUE, so one stack serves several environments.
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "slipway"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
