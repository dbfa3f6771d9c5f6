# The simulated fleet (event-generator/). Flags go in GENERATOR_ARGS, for example
#   make run-generator GENERATOR_ARGS="--num.devices 100 --duration.seconds 300 --truth-file truth.json"
GENERATOR_ARGS ?=

.PHONY: run-generator bench-generator

run-generator: setup ## Simulate a fleet into Kafka (local unless KAFKA_BOOTSTRAP_SERVERS); flags in GENERATOR_ARGS
	@scripts/run-event-generator.sh $(GENERATOR_ARGS)

bench-generator: setup ## Measure the event generator's events/s to the local Kafka and to a file
	@[[ -n "$${KAFKA_BOOTSTRAP_SERVERS:-}" ]] || scripts/local-kafka.sh start >/dev/null
	@$(PY) bench/generator/bench.py
