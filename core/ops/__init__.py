"""Running in production: health endpoints, structured logs with request ids, backups, job slots."""
