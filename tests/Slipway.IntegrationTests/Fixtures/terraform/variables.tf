variable "release" {
  description = "Changing it updates terraform_data.config in place."
  type        = string
}

variable "server_generation" {
  description = "Changing it replaces terraform_data.server (delete, then create)."
  type        = number
  default     = 1
}
