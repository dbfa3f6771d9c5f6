"""One timed replay of the monitor, in a process of its own (one JVM per run).

    python -m bench.monitor.replay_child EVENTS.jsonl ALERTS_OUT PARALLELISM

Does what `iot-monitor replay` does, with the monitor's own functions, and times each
phase. The only difference is how the job is started: `collectAsync` plus
`execute_async` instead of `execute_and_collect`, so that the job client can report
Flink's net runtime. It prints one JSON line of timings on stdout and writes the
alerts as `device-id latest-event-ms` lines.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def _timed_replay(source: Path, alerts_out: Path, parallelism: int) -> dict[str, float | int]:
    started = time.perf_counter()
    from iot_monitor.cli import build_settings
    from iot_monitor.flink_env import bounded_environment
    from iot_monitor.replay import last_check, replay_alert_stream, screen_file
    from pyflink.datastream.data_stream import CloseableIterator

    settings = build_settings(parallelism=parallelism)
    imported_at = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as folder:
        good_path = Path(folder) / "events.tsv"
        with good_path.open("w", encoding="utf-8") as good:
            screened = screen_file(source, good, sys.stderr, settings)
        screened_at = time.perf_counter()
        if screened.newest_event_ms is None:
            raise SystemExit(f"{source}: no usable event")
        last = last_check(screened.newest_event_ms, settings.check_interval_ms)
        rules = replace(settings.rules, last_check_ms=last)
        # Starts the JVM (the gateway) as well: the monitor's replay does the same here.
        env = bounded_environment(settings)
        environment_at = time.perf_counter()
        alerts_stream = replay_alert_stream(env, good_path, settings, rules)
        collected = alerts_stream._j_data_stream.collectAsync()
        client = env.execute_async("iot-monitor-replay")
        submitted_at = time.perf_counter()
        with CloseableIterator(collected, alerts_stream.get_type()) as rows:
            alerts = sorted((row[2], row[0], row[1]) for row in rows)
        collected_at = time.perf_counter()
        net_ms = client.get_job_execution_result().result().get_net_runtime()
    with alerts_out.open("w", encoding="utf-8") as out:
        out.writelines(f"{device} {latest}\n" for _, device, latest in alerts)
    return {
        "events": screened.good_lines,
        "bad_lines": screened.bad_lines,
        "alerts": len(alerts),
        "imports_s": imported_at - started,
        "screen_s": screened_at - imported_at,
        "jvm_environment_s": environment_at - screened_at,
        "plan_submit_s": submitted_at - environment_at,
        "job_s": collected_at - submitted_at,
        "net_runtime_s": net_ms / 1000,
    }


def main(argv: list[str]) -> int:
    source, alerts_out, parallelism = Path(argv[0]), Path(argv[1]), int(argv[2])
    print(json.dumps(_timed_replay(source, alerts_out, parallelism)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
