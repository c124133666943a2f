variable "name" {
  description = "Prefix of every resource's Name tag."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range; subnets are /24s carved from it."
  type        = string
  default     = "10.20.0.0/16"
}

variable "az_count" {
  description = "How many availability zones get a public (and, with private_subnets, a private) subnet."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 6
    error_message = "az_count must be between 1 and 6."
  }
}

variable "private_subnets" {
  description = "Also make private subnets, with one NAT gateway for their outbound traffic (for clusters and databases)."
  type        = bool
  default     = false
}
