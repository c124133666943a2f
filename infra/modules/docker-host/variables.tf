variable "name" {
  description = "The host's Name tag."
  type        = string
}

variable "subnet_id" {
  description = "The (public) subnet the host runs in."
  type        = string
}

variable "security_group_ids" {
  description = "Security groups of the host."
  type        = list(string)
}

variable "instance_type" {
  description = "EC2 instance type."
  type        = string
  default     = "t3.medium"
}

variable "root_volume_gb" {
  description = "Size of the root volume (images, volumes, backups), in GiB."
  type        = number
  default     = 40
}

variable "ssh_public_key" {
  description = "OpenSSH public key of the deploy user; Slipway reaches the engine as ssh://deploy@HOST."
  type        = string
}

variable "deploy_user" {
  description = "The user Slipway's deploys log in as; it is in the docker group."
  type        = string
  default     = "deploy"
}
