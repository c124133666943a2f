output "load_balancer_dns_name" {
  description = "Where users reach the fleet; point the environment's ingress.host at it (CNAME)."
  value       = aws_lb.this.dns_name
}

output "docker_hosts" {
  description = "Every host as a DOCKER_HOST value, in deploy order."
  value       = [for host in module.host : "ssh://deploy@${host.public_ip}"]
}

output "instance_ids" {
  description = "The hosts' EC2 instances."
  value       = module.host[*].instance_id
}
