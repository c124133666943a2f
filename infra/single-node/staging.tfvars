# Referenced by environments/staging.yml (infra.var_files). Example values: replace the key and ranges.
region            = "eu-west-1"
environment       = "staging"
instance_type     = "t3.large"
root_volume_gb    = 60
ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleOnlyReplaceWithTheDeployKey deploy@slipway"
admin_cidr_blocks = ["203.0.113.0/24"]
# staging.yml publishes the proxy on ingress.http_port 8180 and https_port 8443.
ingress_ports = [8180, 8443]
