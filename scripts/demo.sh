#!/usr/bin/env bash
# The whole pipeline on this machine, no Docker needed: a local Kafka, the monitor,
# a simulated fleet in which some devices fail, and the alerts shown live.
# Ctrl-C stops everything and prints which devices the fleet really lost.
# DEMO_SECONDS=N stops by itself after N seconds of live view.
# CLUSTER=1 (make demo CLUSTER=1) submits the job to the local Flink cluster instead
# (scripts/local-flink.sh: a JobManager and two TaskManagers, the Flink UI on
# http://localhost:${FLINK_REST_PORT:-8081}); Ctrl-C stops the job with a savepoint, the
# cluster stays.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
demo=.local/demo
bin=.venv/bin
rm -rf "$demo"
mkdir -p "$demo"

scripts/local-kafka.sh start
start_ms=$(( $(date +%s) * 1000 ))
run_id="demo-$(date +%s)"

# Shorter than production (checks every 30 s, silent for more than 60 s) so the
# first alerts show within a minute of a failure.
demo_timing=(--check-interval 10s --inactivity-timeout 20s --idle-timeout 10s)
monitor_args=("${demo_timing[@]}"
  --starting-offsets "$start_ms" --group-id "iot-monitor-$run_id"
  --transactional-id-prefix "iot-monitor-$run_id"
  --checkpoint.dir "file://$root/$demo/checkpoints" --checkpoint.interval 2s)
monitor_pid=""
job_id=""
rest="localhost:${FLINK_REST_PORT:-8081}"
if [[ "${CLUSTER:-0}" == 1 ]]; then
  scripts/local-flink.sh start
  echo "submitting the monitor to the Flink cluster at $rest; checks every 10 s, silent > 20 s alerts"
  job_id="$("$bin/iot-monitor" run --jobmanager "$rest" "${monitor_args[@]}" --parallelism 2 \
    2>"$demo/monitor.log" | tail -n 1)" || { tail -n 5 "$demo/monitor.log" >&2; exit 1; }
  echo "job $job_id: http://$rest/#/job/running/$job_id/overview"
else
  echo "starting the monitor (log: $demo/monitor.log); checks every 10 s, silent > 20 s alerts"
  "$bin/iot-monitor" run "${monitor_args[@]}" --parallelism 1 >"$demo/monitor.log" 2>&1 &
  monitor_pid=$!
fi
generator_pid=""

cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$generator_pid" ]] && kill -0 "$generator_pid" 2>/dev/null; then
    kill -INT "$generator_pid" 2>/dev/null || true
    wait "$generator_pid" 2>/dev/null || true
  fi
  if [[ -n "$monitor_pid" ]]; then
    kill "$monitor_pid" 2>/dev/null || true
    wait "$monitor_pid" 2>/dev/null || true
  fi
  if [[ -n "$job_id" ]]; then
    # Stopped with a savepoint, the job commits what it wrote; cancelled, it would leave
    # its last transaction open and the next run's watch waiting behind it.
    "$bin/python" - "$rest" "$job_id" "file://$root/$demo/checkpoints/savepoints" <<'PY' \
      || echo "could not stop job $job_id"
import json, sys, time, urllib.request
rest, job, folder = sys.argv[1:]
def call(path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://{rest}{path}", data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")
call(f"/jobs/{job}/stop", "POST", {"drain": False, "targetDirectory": folder})
for _ in range(60):
    if call(f"/jobs/{job}")["state"] in ("FINISHED", "CANCELED", "FAILED"):
        print(f"job {job} stopped with a savepoint in {folder}")
        break
    time.sleep(0.5)
else:
    call(f"/jobs/{job}?mode=cancel", "PATCH")
    print(f"job {job} cancelled (no savepoint within 30 s)")
PY
    echo "Flink keeps running (UI http://$rest): scripts/local-flink.sh stop"
  fi
  echo
  echo "what the fleet really did (from the generator's summary, $demo/generator.log):"
  tail -n 25 "$demo/generator.log" 2>/dev/null || true
  echo "Kafka keeps running: scripts/local-kafka.sh stop"
}
trap cleanup EXIT INT TERM

printf 'waiting for the job to run'
for _ in $(seq 1 180); do
  if [[ -n "$monitor_pid" ]] && ! kill -0 "$monitor_pid" 2>/dev/null; then
    echo; echo "the monitor stopped; the end of its log:" >&2
    tail -n 30 "$demo/monitor.log" >&2
    exit 1
  fi
  if compgen -G "$demo/checkpoints/*/chk-*" >/dev/null; then
    break
  fi
  printf '.'
  sleep 1
done
echo

# Seed 3 makes the first device fail about 12 s in, then others every minute or so;
# about half of the failed devices come back later (the live view then says so).
echo "starting a fleet of 20 devices, each failing with probability 0.3 during the next" \
  "5 minutes, half of those coming back"
"$bin/iot-event-generator" --num.devices 20 --event.interval.ms 1000 \
  --duration.seconds 300 --failure.probability 0.3 --recovery.probability 0.5 \
  --seed "${DEMO_SEED:-3}" \
  --truth-file "$demo/truth.json" --quiet >"$demo/generator.log" 2>&1 &
generator_pid=$!

watch_args=()
[[ -n "${DEMO_SECONDS:-}" ]] && watch_args=(--seconds "$DEMO_SECONDS")
"$bin/iot-monitor" watch "${watch_args[@]}"
