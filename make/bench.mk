# Benchmarks of the monitor (bench/monitor/, figures in bench/RESULTS.md). They print
# figures and assert nothing; each default run takes a few minutes on two cores.
# Extra flags go in BENCH_ARGS, for example
#   make bench-replay BENCH_ARGS="--source yardstick --parallelism 2"
BENCH_ARGS ?=
BENCH_KAFKA = [[ -n "$${KAFKA_BOOTSTRAP_SERVERS:-}" ]] || scripts/local-kafka.sh start >/dev/null

.PHONY: bench-replay bench-replay-1m bench-replay-10m bench-kafka bench-latency bench-state bench-monitor

bench-replay: setup ## Replay events/s of the monitor vs the Java yardstick, 200k events (quick)
	@$(PY) -m bench.monitor.replay --size 200k $(BENCH_ARGS)

bench-replay-1m: setup ## Replay events/s of the monitor vs the Java yardstick, 1M events, 10k devices
	@$(PY) -m bench.monitor.replay --size 1m $(BENCH_ARGS)

bench-replay-10m: setup ## Replay events/s vs the Java yardstick, 10M events, 1M devices (slow)
	@$(PY) -m bench.monitor.replay --size 10m $(BENCH_ARGS)

bench-kafka: setup ## Kafka-to-Kafka events/s, exactly-once and at-least-once, vs a plain consumer
	@$(BENCH_KAFKA)
	@$(PY) -m bench.monitor.kafka_throughput $(BENCH_ARGS)

bench-latency: setup ## Alert latency, check instant to read_committed consumer, on a live fleet
	@$(BENCH_KAFKA)
	@$(PY) -m bench.monitor.latency $(BENCH_ARGS)

bench-state: setup ## Checkpoint bytes per tracked device, 100k devices
	@$(BENCH_KAFKA)
	@$(PY) -m bench.monitor.state_size $(BENCH_ARGS)

bench-monitor: bench-replay bench-kafka bench-latency bench-state ## Every default monitor benchmark, one after the other
