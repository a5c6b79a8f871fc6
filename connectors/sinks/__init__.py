"""Built-in sinks: EPJ delivery, national-service webhook, PostgreSQL message store."""
