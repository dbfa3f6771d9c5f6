"""The JVM that PyFlink starts in the tests' own process: with Flink's operator test
harnesses, and the monitor's operators they drive, on its class path (the harnesses
share packages with Flink's own classes, so they cannot be loaded beside them later).

PyFlink's launcher adds the jars of the glob `FLINK_TEST_LIBS` when `FLINK_TESTING` is
set. Both are set only while this process launches its JVM: a monitor the tests start
as a program of its own must get the class path a user's gets.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pyflink.java_gateway
import pytest
from iot_monitor.flink_env import JAR_CACHE


def pytest_configure(config: pytest.Config) -> None:
    launch = pyflink.java_gateway.launch_gateway

    def launch_with_the_harnesses() -> Any:
        folder = Path(tempfile.mkdtemp(prefix="iot-monitor-test-jars-"))
        for jar in [*JAR_CACHE.glob("harness/*.jar"), *JAR_CACHE.glob("functions/*.jar")]:
            (folder / jar.name).symlink_to(jar)
        saved = {name: os.environ.get(name) for name in ("FLINK_TESTING", "FLINK_TEST_LIBS")}
        os.environ.update(FLINK_TESTING="1", FLINK_TEST_LIBS=str(folder / "*.jar"))
        try:
            return launch()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    pyflink.java_gateway.launch_gateway = launch_with_the_harnesses  # type: ignore[assignment]
