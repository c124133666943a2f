output "release" {
  value = terraform_data.config.output.release
}

output "server" {
  value = terraform_data.server.output
}
