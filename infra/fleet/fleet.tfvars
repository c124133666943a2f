# An example fleet: three hosts over two zones behind an ALB. Replace the key, ranges and certificate.
region            = "eu-west-1"
environment       = "staging"
host_count        = 3
az_count          = 2
instance_type     = "t3.medium"
ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleOnlyReplaceWithTheDeployKey deploy@slipway"
admin_cidr_blocks = ["203.0.113.0/24"]
proxy_port        = 8180
certificate_arn   = null
