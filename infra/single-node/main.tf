# The single-node scenario: one VM with Docker and Compose that Slipway deploys to over SSH with zero
# downtime (HAProxy in front, side-by-side containers). Suits dev and staging on Compose.

locals {
  name = "slipway-${var.environment}"
}

module "network" {
  source = "../modules/network"

  name     = local.name
  az_count = 1
}

resource "aws_security_group" "host" {
  name_prefix = "${local.name}-host-"
  description = "Slipway Docker host: SSH for deploys, the proxy's ports for users"
  vpc_id      = module.network.vpc_id

  tags = {
    Name = "${local.name}-host"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = toset(var.admin_cidr_blocks)

  security_group_id = aws_security_group.host.id
  description       = "SSH (deploys)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
}

resource "aws_vpc_security_group_ingress_rule" "proxy" {
  for_each = toset([for port in var.ingress_ports : tostring(port)])

  security_group_id = aws_security_group.host.id
  description       = "Stack proxy"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.host.id
  description       = "Packages, registry pulls"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

module "host" {
  source = "../modules/docker-host"

  name               = "${local.name}-docker"
  subnet_id          = module.network.public_subnet_ids[0]
  security_group_ids = [aws_security_group.host.id]
  instance_type      = var.instance_type
  root_volume_gb     = var.root_volume_gb
  ssh_public_key     = var.ssh_public_key
}

# A fixed address, so DNS and the environment's docker_host survive a stop/start of the VM.
resource "aws_eip" "host" {
  domain   = "vpc"
  instance = module.host.instance_id

  tags = {
    Name = "${local.name}-docker"
  }
}
