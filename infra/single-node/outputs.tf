output "public_ip" {
  description = "The host's fixed public address."
  value       = aws_eip.host.public_ip
}

output "docker_host" {
  description = "The environment's delivery.compose.docker_host (e.g. STAGING_DOCKER_HOST)."
  value       = "ssh://deploy@${aws_eip.host.public_ip}"
}

output "instance_id" {
  description = "The EC2 instance."
  value       = module.host.instance_id
}
