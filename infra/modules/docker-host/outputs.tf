output "instance_id" {
  description = "The EC2 instance."
  value       = aws_instance.this.id
}

output "private_ip" {
  description = "Its address inside the VPC."
  value       = aws_instance.this.private_ip
}

output "public_ip" {
  description = "Its public address (replaced by an Elastic IP where the stack attaches one)."
  value       = aws_instance.this.public_ip
}
