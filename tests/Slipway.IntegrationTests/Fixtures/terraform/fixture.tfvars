release = "1.0.0"
