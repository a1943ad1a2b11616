"""Who runs a stack's services: nobody (probes), Docker Compose, or ecomctl itself."""
