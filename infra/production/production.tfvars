# Referenced by environments/prod.yml (infra.var_files). Example values: replace the ranges.
region                        = "eu-west-1"
environment                   = "prod"
az_count                      = 3
kubernetes_version            = "1.33"
cluster_endpoint_public_cidrs = ["203.0.113.0/24"]
node_instance_types           = ["m6i.large"]
node_count = {
  desired = 3
  min     = 3
  max     = 6
}
postgres_instance_class = "db.m6g.large"
postgres_storage_gb     = 100
redis_node_type         = "cache.m6g.large"
repository_prefix       = "slipway-dev/slipway"
repositories            = ["api", "worker"]
