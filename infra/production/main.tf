# The production scenario: EKS for the Helm deploys, with managed Postgres (RDS) and Redis (ElastiCache) in
# private subnets, reachable only from the cluster, and an ECR registry for the signed images.

locals {
  name = "slipway-${var.environment}"
}

module "network" {
  source = "../modules/network"

  name            = local.name
  az_count        = var.az_count
  private_subnets = true
}

# ------------------------------------------------------------------ Kubernetes (EKS)

data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name_prefix        = "${local.name}-cluster-"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_eks_cluster" "this" {
  name     = local.name
  role_arn = aws_iam_role.cluster.arn
  version  = var.kubernetes_version

  vpc_config {
    subnet_ids              = module.network.private_subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = true
    public_access_cidrs     = var.cluster_endpoint_public_cidrs
  }

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = true
  }

  enabled_cluster_log_types = ["api", "audit", "authenticator"]

  depends_on = [aws_iam_role_policy_attachment.cluster]
}

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name_prefix        = "${local.name}-node-"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
  ])

  role       = aws_iam_role.node.name
  policy_arn = each.value
}

resource "aws_eks_node_group" "default" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "default"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = module.network.private_subnet_ids
  instance_types  = var.node_instance_types

  scaling_config {
    desired_size = var.node_count.desired
    min_size     = var.node_count.min
    max_size     = var.node_count.max
  }

  update_config {
    max_unavailable = 1
  }

  lifecycle {
    # The cluster autoscaler moves desired_size; a plan must not fight it.
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}

locals {
  # Pods on the managed nodes use the cluster security group EKS creates.
  cluster_security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

# ------------------------------------------------------------------ Postgres (RDS)

resource "aws_db_subnet_group" "postgres" {
  name_prefix = "${local.name}-"
  subnet_ids  = module.network.private_subnet_ids
}

resource "aws_security_group" "postgres" {
  name_prefix = "${local.name}-postgres-"
  description = "Postgres, from the cluster only"
  vpc_id      = module.network.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  security_group_id            = aws_security_group.postgres.id
  description                  = "From the EKS cluster"
  referenced_security_group_id = local.cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_instance" "postgres" {
  identifier_prefix = "${local.name}-"
  engine            = "postgres"
  engine_version    = var.postgres_version
  instance_class    = var.postgres_instance_class

  db_name  = "orders"
  username = "slipway"
  # RDS keeps the password in Secrets Manager and rotates it; it never appears in Terraform state.
  manage_master_user_password = true

  allocated_storage     = var.postgres_storage_gb
  max_allocated_storage = var.postgres_storage_gb * 4
  storage_type          = "gp3"
  storage_encrypted     = true

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.postgres.name
  vpc_security_group_ids = [aws_security_group.postgres.id]
  publicly_accessible    = false

  backup_retention_period    = var.postgres_backup_retention_days
  copy_tags_to_snapshot      = true
  auto_minor_version_upgrade = true
  deletion_protection        = true
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${local.name}-postgres-final"

  lifecycle {
    # Belt and braces with prod.yml's allow_destroy: false: Terraform itself refuses a plan that destroys the data.
    prevent_destroy = true
  }
}

# ------------------------------------------------------------------ Redis (ElastiCache)

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${local.name}-redis"
  subnet_ids = module.network.private_subnet_ids
}

resource "aws_security_group" "redis" {
  name_prefix = "${local.name}-redis-"
  description = "Redis, from the cluster only"
  vpc_id      = module.network.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  security_group_id            = aws_security_group.redis.id
  description                  = "From the EKS cluster"
  referenced_security_group_id = local.cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id = "${local.name}-redis"
  description          = "Slipway ${var.environment} queue and cache"
  engine               = "redis"
  engine_version       = "7.1"
  node_type            = var.redis_node_type
  port                 = 6379

  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.redis.name
  security_group_ids = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  snapshot_retention_limit   = 7
}

# ------------------------------------------------------------------ Registry (ECR)

resource "aws_ecr_repository" "service" {
  for_each = toset(var.repositories)

  name = "${var.repository_prefix}/${each.value}"
  # Slipway deploys by digest and refuses to re-publish a version with other content; the registry agrees.
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}
