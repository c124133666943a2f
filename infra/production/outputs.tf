output "cluster_name" {
  description = "The EKS cluster; `aws eks update-kubeconfig --name NAME` makes the kube context prod.yml names."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "The Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "postgres_endpoint" {
  description = "host:port of the managed Postgres, for PROD_POSTGRES_CONNECTION."
  value       = aws_db_instance.postgres.endpoint
}

output "postgres_master_secret_arn" {
  description = "The Secrets Manager secret holding the master password (managed and rotated by RDS)."
  value       = aws_db_instance.postgres.master_user_secret[0].secret_arn
}

output "redis_primary_endpoint" {
  description = "The Redis primary endpoint (TLS), for PROD_REDIS_CONNECTION."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "registry" {
  description = "The registry host for prod.yml's registry.address (REGISTRY_ADDRESS)."
  value       = split("/", values(aws_ecr_repository.service)[0].repository_url)[0]
}

output "repository_urls" {
  description = "Each service image's repository."
  value       = { for name, repository in aws_ecr_repository.service : name => repository.repository_url }
}
