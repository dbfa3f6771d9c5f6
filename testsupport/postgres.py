"""PostgreSQL for tests (filled in by the storage work): DATABASE_URL, else a
throwaway local server."""
