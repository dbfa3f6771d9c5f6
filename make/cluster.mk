# The local Flink session cluster (scripts/local-flink.sh): one JobManager and
# FLINK_TASKMANAGERS (2) TaskManagers, the Flink UI on FLINK_REST_PORT (8081).
# `make demo CLUSTER=1` runs the demo's job on it.
.PHONY: cluster-start cluster-stop cluster-status

cluster-start: setup ## Start the local Flink cluster (JobManager + TaskManagers; UI on :8081), or what of it is down
	@scripts/local-flink.sh start

cluster-stop: ## Stop every process of the local Flink cluster
	@scripts/local-flink.sh stop

cluster-status: ## Which processes of the local Flink cluster run, and its slots and jobs
	@scripts/local-flink.sh status
