"""The JVM that PyFlink starts for the tests: with Flink's operator test harnesses,
and the monitor's operators they drive, on its class path (the harnesses share
packages with Flink's own classes, so they cannot be loaded beside them later).
PyFlink's launcher adds the jars of the glob `FLINK_TEST_LIBS` when `FLINK_TESTING`
is set; the first test that needs a JVM starts it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from iot_monitor.flink_env import JAR_CACHE


def pytest_configure(config: pytest.Config) -> None:
    if "FLINK_TEST_LIBS" in os.environ:
        return
    folder = Path(tempfile.mkdtemp(prefix="iot-monitor-test-jars-"))
    for jar in [*JAR_CACHE.glob("harness/*.jar"), *JAR_CACHE.glob("functions/*.jar")]:
        (folder / jar.name).symlink_to(jar)
    os.environ["FLINK_TESTING"] = "1"
    os.environ["FLINK_TEST_LIBS"] = str(folder / "*.jar")
