# The fleet scenario: several Docker hosts, each running the whole Compose stack, behind an Application
# Load Balancer. Slipway deploys host by host; the ALB's health check takes a host out while its proxy
# drains, so the fleet as a whole stays up.

locals {
  name = "slipway-${var.environment}"
}

module "network" {
  source = "../modules/network"

  name     = local.name
  az_count = var.az_count
}

resource "aws_security_group" "lb" {
  name_prefix = "${local.name}-lb-"
  description = "Slipway fleet load balancer: HTTP(S) from the world"
  vpc_id      = module.network.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "lb" {
  for_each = toset(var.certificate_arn == null ? ["80"] : ["80", "443"])

  security_group_id = aws_security_group.lb.id
  description       = "Users"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
}

resource "aws_vpc_security_group_egress_rule" "lb_to_hosts" {
  security_group_id            = aws_security_group.lb.id
  description                  = "To the hosts' proxies"
  referenced_security_group_id = aws_security_group.hosts.id
  ip_protocol                  = "tcp"
  from_port                    = var.proxy_port
  to_port                      = var.proxy_port
}

resource "aws_security_group" "hosts" {
  name_prefix = "${local.name}-hosts-"
  description = "Slipway fleet hosts: SSH for deploys, the proxy port from the load balancer"
  vpc_id      = module.network.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = toset(var.admin_cidr_blocks)

  security_group_id = aws_security_group.hosts.id
  description       = "SSH (deploys)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
}

resource "aws_vpc_security_group_ingress_rule" "proxy_from_lb" {
  security_group_id            = aws_security_group.hosts.id
  description                  = "Proxy, from the load balancer only"
  referenced_security_group_id = aws_security_group.lb.id
  ip_protocol                  = "tcp"
  from_port                    = var.proxy_port
  to_port                      = var.proxy_port
}

resource "aws_vpc_security_group_egress_rule" "hosts" {
  security_group_id = aws_security_group.hosts.id
  description       = "Packages, registry pulls"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

module "host" {
  source = "../modules/docker-host"
  count  = var.host_count

  name               = "${local.name}-docker-${count.index + 1}"
  subnet_id          = module.network.public_subnet_ids[count.index % var.az_count]
  security_group_ids = [aws_security_group.hosts.id]
  instance_type      = var.instance_type
  root_volume_gb     = var.root_volume_gb
  ssh_public_key     = var.ssh_public_key
}

resource "aws_lb" "this" {
  name               = local.name
  load_balancer_type = "application"
  security_groups    = [aws_security_group.lb.id]
  subnets            = module.network.public_subnet_ids
}

resource "aws_lb_target_group" "hosts" {
  name_prefix = "slpwy-"
  port        = var.proxy_port
  protocol    = "HTTP"
  vpc_id      = module.network.vpc_id
  target_type = "instance"

  # Shorter than the default 300 s: a host leaves rotation quickly when its deploy starts draining.
  deregistration_delay = 30

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_target_group_attachment" "hosts" {
  count = var.host_count

  target_group_arn = aws_lb_target_group.hosts.arn
  target_id        = module.host[count.index].instance_id
  port             = var.proxy_port
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.hosts.arn
  }
}

resource "aws_lb_listener" "https" {
  count = var.certificate_arn == null ? 0 : 1

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.hosts.arn
  }
}
