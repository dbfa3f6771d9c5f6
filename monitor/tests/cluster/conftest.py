"""Each test runs a Flink cluster of its own, on free ports (never the user's 8081), in
its own folder, stopped afterwards whatever happened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.tests.cluster.local_cluster import LocalCluster


@pytest.fixture
def flink_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path / "flink")
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:  # whatever the script could not stop
            left = [p for p in cluster.all_processes() if (cluster.folder / f"{p}.pid").exists()]
            cluster.kill(*left)
