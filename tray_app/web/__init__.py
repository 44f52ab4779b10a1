"""Local web server: the live dashboard and Prometheus metrics (opt-in, 127.0.0.1)."""
