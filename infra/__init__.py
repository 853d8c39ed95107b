"""Settings, client and engine factories, and the launcher for casesync's local services."""
