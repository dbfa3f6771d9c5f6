# The alert store, Vector's mapping and the Grafana dashboard (docs/storage.md).
.PHONY: storage-test timescaledb alerts-psql alerts-schema

storage-test: setup timescaledb ## Storage and dashboard tests on PostgreSQL and TimescaleDB (DATABASE_URL/TIMESCALEDB_URL or throwaway servers; Kafka for end-to-end)
	@$(VENV)/bin/pytest tests/storage

timescaledb: ## Build TimescaleDB for the machine's PostgreSQL 15 from ../shared/vendor (cached; TIMESCALEDB_SOURCE to change)
	@scripts/build-timescaledb.sh

alerts-psql: ## psql on the alerts database of the Docker Compose stack, as the read-only role
	@docker compose exec timescaledb psql -U alerts_reader -d monitoring

alerts-schema: ## Re-apply init.sql and init-roles.sh to the running Docker Compose database
	@docker compose exec timescaledb psql -U postgres -d monitoring -v ON_ERROR_STOP=1 \
	  -f /docker-entrypoint-initdb.d/01-init.sql
	@docker compose exec timescaledb /docker-entrypoint-initdb.d/02-init-roles.sh
