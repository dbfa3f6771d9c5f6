"""The alert store's side of the monitor: putting back into PostgreSQL what the
ingestion pipeline (Vector) dropped. See docs/storage.md."""
