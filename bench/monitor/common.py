"""What every monitor benchmark shares: paths, the machine's load, event files and
printing a table."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
# Event files get a fixed start so that the same flags always give the same file.
FILE_START_TIME = 1_700_000_000

# Wide enough for the tables when the output is not a terminal.
console = Console(width=120)


def cache_dir() -> Path:
    """Event files, compiled classes, logs and checkpoints (BENCH_CACHE), created on
    first use: a fresh clone has no .local/."""
    folder = Path(os.environ.get("BENCH_CACHE", REPO / ".local" / "bench"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def yardstick_dir() -> Path | None:
    """The Java yardstick (the same job written with Flink's Java API, InactivityJob.java,
    and its generator gen.py): not part of this repository, found at YARDSTICK_DIR."""
    given = os.environ.get("YARDSTICK_DIR")
    return Path(given) if given else None


def load_average() -> float:
    return os.getloadavg()[0]


def wait_for_quiet_machine(limit: float = 1.5) -> float:
    """Wait (polling every 30 s, for at most BENCH_PATIENCE_S, default 150 s) until the
    1-minute load average is at most `limit`; return the load measured last, which
    goes next to the figures."""
    deadline = time.monotonic() + float(os.environ.get("BENCH_PATIENCE_S", "150"))
    load = load_average()
    while load > limit and time.monotonic() < deadline:
        console.print(f"[yellow]load average {load:.2f} > {limit}: waiting 30 s[/]")
        time.sleep(30)
        load = load_average()
    if load > limit:
        console.print(f"[yellow]still loaded ({load:.2f}); measuring anyway[/]")
    return load


def java_version() -> str:
    result = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    first = (result.stderr or result.stdout).splitlines()
    return first[0] if first else "java not found"


def flink_version() -> str:
    from importlib.metadata import version

    return version("apache-flink")


def memory_gib() -> float:
    meminfo = Path("/proc/meminfo").read_text()
    match = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    return int(match.group(1)) / 2**20 if match else 0.0


def machine_line() -> str:
    return (
        f"{os.cpu_count()} CPUs, {memory_gib():.1f} GiB, Python {platform.python_version()}, "
        f"{java_version()}, apache-flink {flink_version()}"
    )


def generated_file(events_per_device_s: float, devices: int, duration_s: int) -> Path:
    """A JSON-lines file from the event generator (1% of devices fail), cached by its
    parameters. Each device reports every `events_per_device_s` seconds."""
    rate = devices / events_per_device_s
    name = f"events-{devices}dev-{int(rate)}per_s-{duration_s}s.jsonl"
    path = cache_dir() / name
    if path.is_file():
        return path
    partial = path.with_suffix(".partial")
    command = [
        str(VENV_BIN / "iot-event-generator"),
        "--output", str(partial),
        "--no-sleep", "--quiet",
        "--start-time", str(FILE_START_TIME),
        "--num.devices", str(devices),
        "--rate", str(rate),
        "--duration.seconds", str(duration_s),
        "--failure.probability", "0.01",
        "--seed", "42",
    ]  # fmt: skip
    console.print(f"generating {path.name} with the event generator ...")
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    partial.rename(path)
    return path


def yardstick_file(events: int, devices: int) -> Path:
    """The same kind of file from the yardstick's own generator (100 silent devices)."""
    path = cache_dir() / f"yardstick-{events}ev-{devices}dev.jsonl"
    if path.is_file():
        return path
    folder = yardstick_dir()
    if folder is None:
        raise SystemExit("--source yardstick needs YARDSTICK_DIR, the folder of its gen.py")
    if not (folder / "gen.py").is_file():
        raise SystemExit(f"YARDSTICK_DIR ({folder}) holds no gen.py")
    partial = path.with_suffix(".partial")
    silent = min(100, devices // 10)
    console.print(f"generating {path.name} with the yardstick's gen.py ...")
    subprocess.run(
        [sys.executable, str(folder / "gen.py"), str(events), str(devices), str(silent),
         str(max(1, devices // 10)), str(partial)],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def count_lines(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: lines.read(1 << 20), b""))


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*(cell if isinstance(cell, str) else f"{cell:,}" for cell in row))
    console.print(table)


def rate(events: int, seconds: float | None) -> str:
    if not seconds:
        return "-"
    return f"{events / seconds:,.0f}"
