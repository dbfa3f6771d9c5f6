"""The Java yardstick, the same job written with Flink's Java API (`InactivityJob.java`,
not part of this repository; YARDSTICK_DIR names its folder): compiled against the jars
that the apache-flink package ships, run on the same file as the monitor."""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from bench.monitor.common import cache_dir, yardstick_dir

_ALERT = re.compile(r'"device-id": "([^"]*)", "latest-event-time": (\d+)')
_NET_RUNTIME = re.compile(r"net_runtime_s=([\d.]+)")
# Enough for Flink 2 on Java 17 when pyflink's conf/config.yaml cannot be read.
_FALLBACK_OPENS = [
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
]


class JavaRun(NamedTuple):
    wall_s: float
    net_runtime_s: float | None
    alerts: Counter[tuple[str, int]]


def flink_lib() -> Path:
    import pyflink

    return Path(pyflink.__file__).parent / "lib"


def _jvm_flags() -> list[str]:
    """The --add-opens/--add-exports flags Flink itself starts its JVMs with."""
    config = flink_lib().parent / "conf" / "config.yaml"
    if config.is_file():
        for line in config.read_text().splitlines():
            if "--add-opens" in line:
                return [token for token in line.split() if token.startswith("--add-")]
    return _FALLBACK_OPENS


def source_file() -> Path | None:
    folder = yardstick_dir()
    return folder / "InactivityJob.java" if folder is not None else None


def available() -> bool:
    source = source_file()
    return source is not None and source.is_file()


def compiled_classes() -> Path:
    source = source_file()
    if source is None or not source.is_file():
        raise FileNotFoundError(f"the Java yardstick is absent: {source} (YARDSTICK_DIR)")
    classes = cache_dir() / "yardstick-classes"
    marker = classes / "InactivityJob.class"
    if marker.is_file() and marker.stat().st_mtime >= source.stat().st_mtime:
        return classes
    classes.mkdir(parents=True, exist_ok=True)
    classpath = f"{flink_lib()}/*"
    subprocess.run(["javac", "-cp", classpath, "-d", str(classes), str(source)], check=True)
    return classes


def run(events_file: Path, parallelism: int) -> JavaRun:
    classpath = f"{compiled_classes()}:{flink_lib()}/*"
    command = [
        "java", *_jvm_flags(), "-cp", classpath,
        "InactivityJob", str(events_file), str(parallelism), "s",
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"the Java yardstick failed:\n{result.stderr[-3000:]}")
    alerts = Counter(
        (match.group(1), int(match.group(2))) for match in _ALERT.finditer(result.stdout)
    )
    net = _NET_RUNTIME.search(result.stderr)
    return JavaRun(wall_s, float(net.group(1)) if net else None, alerts)
