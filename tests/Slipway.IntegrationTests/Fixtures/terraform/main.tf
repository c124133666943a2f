resource "terraform_data" "config" {
  input = {
    release = var.release
  }
}

resource "terraform_data" "server" {
  triggers_replace = [var.server_generation]
  input            = "server-${var.server_generation}"
}
