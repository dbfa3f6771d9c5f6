# Packaging, the Docker Compose stack and the Kubernetes deployments.
# DRY_RUN=1 makes a deploy-* or stop-* target print its helm and kubectl commands.
DEPLOY_FLAGS = $(if $(DRY_RUN),--dry-run)

.PHONY: deploy-dev deploy-qa deploy-prod deploy-all-dev deploy-all-qa deploy-all-prod deploy-monitoring-dev deploy-monitoring-qa deploy-monitoring-prod deploy-full-dev deploy-full-qa deploy-full-prod stop-monitoring-dev stop-monitoring-qa stop-monitoring-prod stop-full-dev stop-full-qa stop-full-prod
.PHONY: package docker-up docker-down deploy-tools deploy-prerequisites

package: setup ## Build the wheels into dist/ and, where Docker runs, the images
	@scripts/package.sh

docker-up: ## Start the whole pipeline with Docker Compose (needs .env; GENERATOR=1 adds a fleet)
	@scripts/docker-up.sh

docker-down: ## Stop the Docker Compose stack (VOLUMES=1 also deletes its data)
	@scripts/docker-down.sh

deploy-tools: ## Install helm, kubeconform and shellcheck (cached under ~/go/bin)
	@scripts/install-deploy-tools.sh >/dev/null

deploy-prerequisites: ## Install cert-manager and the Flink Kubernetes Operator (once per cluster)
	@scripts/deploy-prerequisites.sh $(DEPLOY_FLAGS)

deploy-dev: ## Deploy the monitor (Flink job) to device-monitor-dev
	@scripts/deploy-monitor.sh dev $(DEPLOY_FLAGS)

deploy-qa: ## Deploy the monitor (Flink job) to device-monitor-qa
	@scripts/deploy-monitor.sh qa $(DEPLOY_FLAGS)

deploy-prod: ## Deploy the monitor (Flink job) to device-monitor-prod
	@scripts/deploy-monitor.sh prod $(DEPLOY_FLAGS)

deploy-all-dev: ## Deploy Kafka and the monitor to device-monitor-dev
	@scripts/deploy-all.sh dev $(DEPLOY_FLAGS)

deploy-all-qa: ## Deploy Kafka and the monitor to device-monitor-qa
	@scripts/deploy-all.sh qa $(DEPLOY_FLAGS)

deploy-all-prod: ## Deploy Kafka and the monitor to device-monitor-prod
	@scripts/deploy-all.sh prod $(DEPLOY_FLAGS)

deploy-monitoring-dev: ## Deploy TimescaleDB, Vector and Grafana to device-monitor-dev
	@scripts/deploy-monitoring.sh dev $(DEPLOY_FLAGS)

deploy-monitoring-qa: ## Deploy TimescaleDB, Vector and Grafana to device-monitor-qa
	@scripts/deploy-monitoring.sh qa $(DEPLOY_FLAGS)

deploy-monitoring-prod: ## Deploy TimescaleDB, Vector and Grafana to device-monitor-prod
	@scripts/deploy-monitoring.sh prod $(DEPLOY_FLAGS)

deploy-full-dev: ## Deploy everything to device-monitor-dev
	@scripts/deploy-full.sh dev $(DEPLOY_FLAGS)

deploy-full-qa: ## Deploy everything to device-monitor-qa
	@scripts/deploy-full.sh qa $(DEPLOY_FLAGS)

deploy-full-prod: ## Deploy everything to device-monitor-prod
	@scripts/deploy-full.sh prod $(DEPLOY_FLAGS)

stop-monitoring-dev: ## Remove TimescaleDB, Vector and Grafana from device-monitor-dev
	@scripts/stop-monitoring.sh dev $(DEPLOY_FLAGS)

stop-monitoring-qa: ## Remove TimescaleDB, Vector and Grafana from device-monitor-qa
	@scripts/stop-monitoring.sh qa $(DEPLOY_FLAGS)

stop-monitoring-prod: ## Remove TimescaleDB, Vector and Grafana from device-monitor-prod
	@scripts/stop-monitoring.sh prod $(DEPLOY_FLAGS)

stop-full-dev: ## Remove everything from device-monitor-dev (savepoint first)
	@scripts/stop-full.sh dev $(DEPLOY_FLAGS)

stop-full-qa: ## Remove everything from device-monitor-qa (savepoint first)
	@scripts/stop-full.sh qa $(DEPLOY_FLAGS)

stop-full-prod: ## Remove everything from device-monitor-prod (savepoint first)
	@scripts/stop-full.sh prod $(DEPLOY_FLAGS)
