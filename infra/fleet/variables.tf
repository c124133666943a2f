variable "region" {
  description = "AWS region."
  type        = string
}

variable "environment" {
  description = "The Slipway environment the fleet serves."
  type        = string
}

variable "host_count" {
  description = "How many Docker hosts; spread over the zones, each deployed to in turn."
  type        = number
  default     = 3

  validation {
    condition     = var.host_count >= 2
    error_message = "A fleet has at least two hosts; use infra/single-node for one."
  }
}

variable "az_count" {
  description = "Availability zones to spread the hosts and the load balancer over (at least 2 for an ALB)."
  type        = number
  default     = 2
}

variable "instance_type" {
  description = "EC2 instance type of each host."
  type        = string
  default     = "t3.medium"
}

variable "root_volume_gb" {
  description = "Root volume size of each host, in GiB."
  type        = number
  default     = 40
}

variable "ssh_public_key" {
  description = "OpenSSH public key of the deploy user on every host."
  type        = string
}

variable "admin_cidr_blocks" {
  description = "Who may reach SSH on the hosts (CI runners, operators)."
  type        = list(string)

  validation {
    condition     = !contains(var.admin_cidr_blocks, "0.0.0.0/0")
    error_message = "admin_cidr_blocks must not open SSH to the whole internet."
  }
}

variable "proxy_port" {
  description = "The port each host's proxy publishes (the environment's ingress.http_port); the load balancer forwards to it."
  type        = number
  default     = 8080
}

variable "health_check_path" {
  description = "What the load balancer asks each host's proxy; the api's readiness endpoint through the proxy."
  type        = string
  default     = "/health/ready"
}

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener; null serves HTTP only."
  type        = string
  default     = null
}
