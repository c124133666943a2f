variable "region" {
  description = "AWS region."
  type        = string
}

variable "environment" {
  description = "The Slipway environment (prod)."
  type        = string
  default     = "prod"
}

variable "az_count" {
  description = "Availability zones for the cluster's nodes, the database and Redis."
  type        = number
  default     = 3
}

variable "kubernetes_version" {
  description = "EKS control plane version; the Helm chart is tested with it."
  type        = string
  default     = "1.33"
}

variable "cluster_endpoint_public_cidrs" {
  description = "Who may reach the Kubernetes API (CI runners for helm upgrade, operators)."
  type        = list(string)
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "node_count" {
  description = "Desired, minimum and maximum node counts; prod.yml runs 4 api and 3 worker replicas."
  type = object({
    desired = number
    min     = number
    max     = number
  })
  default = {
    desired = 3
    min     = 3
    max     = 6
  }
}

variable "postgres_version" {
  description = "Major version of the managed Postgres (the stack's compose files use postgres:15)."
  type        = string
  default     = "15"
}

variable "postgres_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m6g.large"
}

variable "postgres_storage_gb" {
  description = "Allocated storage in GiB; storage autoscaling may grow it to four times this."
  type        = number
  default     = 100
}

variable "postgres_backup_retention_days" {
  description = "Automated backup retention, in days (prod.yml keeps pre-deploy dumps for 30 days too)."
  type        = number
  default     = 30
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.m6g.large"
}

variable "repository_prefix" {
  description = "Path prefix of the repositories, as prod.yml's registry.repository_prefix."
  type        = string
  default     = "slipway"
}

variable "repositories" {
  description = "Image repositories of the registry: one per service image (environments' services.*.image)."
  type        = list(string)
  default     = ["api", "worker"]
}
