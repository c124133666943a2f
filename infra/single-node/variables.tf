variable "region" {
  description = "AWS region."
  type        = string
}

variable "environment" {
  description = "The Slipway environment this host serves (dev, staging)."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the Docker host."
  type        = string
  default     = "t3.medium"
}

variable "root_volume_gb" {
  description = "Root volume size in GiB: images, the stack's volumes and pre-deploy backups live there."
  type        = number
  default     = 40
}

variable "ssh_public_key" {
  description = "OpenSSH public key of the deploy user."
  type        = string
}

variable "admin_cidr_blocks" {
  description = "Who may reach SSH (deploys, DOCKER_HOST=ssh://...): CI runners' and operators' ranges."
  type        = list(string)

  validation {
    condition     = !contains(var.admin_cidr_blocks, "0.0.0.0/0")
    error_message = "admin_cidr_blocks must not open SSH to the whole internet."
  }
}

variable "ingress_ports" {
  description = "Ports the stack's proxy publishes to the world (environments' ingress.http_port and https_port)."
  type        = list(number)
  default     = [80, 443]
}
