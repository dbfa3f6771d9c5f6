"""The images: one Flink version everywhere, the connector jar from its pom, non-root."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest

from tests.deploy.support import ROOT
from tests.deploy.test_spec_figures import flink_pin

pytestmark = pytest.mark.deploy

MONITOR = (ROOT / "monitor/Dockerfile").read_text()
GENERATOR = (ROOT / "event-generator/Dockerfile").read_text()


def test_monitor_image_uses_the_pinned_flink():
    assert f"ARG FLINK_VERSION={flink_pin()}\n" in MONITOR
    assert "ARG FLINK_IMAGE=flink:${FLINK_VERSION}-scala_2.12-java17" in MONITOR
    assert 'pip install --no-cache-dir "apache-flink==${FLINK_VERSION}"' in MONITOR


def test_monitor_image_lets_thread_mode_find_the_virtualenv():
    # Python runs inside the TaskManager's JVM; it finds pemja and the job only here.
    assert "PYTHONPATH=/opt/venv/site-packages" in MONITOR
    assert "/opt/venv/site-packages" in MONITOR.split("ENV PATH", 1)[0]


def test_monitor_image_loads_the_connector_from_its_pom():
    assert "COPY jvm/flink-connectors/pom.xml" in MONITOR
    # the monitor's Java function, built from source into the same folder
    assert "COPY jvm/monitor-functions/ " in MONITOR
    assert "iot-monitor-functions-*.jar /build/jars/" in MONITOR
    assert "dependency:copy-dependencies" in MONITOR
    assert "COPY --from=connector-jars /build/jars/ /opt/flink/lib/" in MONITOR
    assert "flink-python-" in MONITOR  # PythonDriver on the classpath
    assert not re.search(r"https?://\S+\.jar", MONITOR), "jars come through Maven, not URLs"


@pytest.mark.parametrize("dockerfile", [MONITOR, GENERATOR], ids=["monitor", "generator"])
def test_images_run_as_a_non_root_user(dockerfile):
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users, "no USER line"
    assert users[-1] not in ("root", "0")


@pytest.mark.parametrize(
    ("dockerfile", "project"),
    [(MONITOR, "monitor"), (GENERATOR, "event-generator")],
    ids=["monitor", "generator"],
)
def test_images_install_the_shared_kafka_clients(dockerfile, project):
    # no package index has iot-kafka-clients: pip must be given its folder with the program
    assert "COPY kafka-clients/ /src/kafka-clients/\n" in dockerfile
    assert f"/src/kafka-clients /src/{project}" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not {"kafka-clients", "kafka-clients/", "kafka-clients/src"} & set(ignored)


def test_generator_image_runs_the_cli():
    assert "FROM python:3.11-slim" in GENERATOR
    assert 'ENTRYPOINT ["iot-event-generator"]' in GENERATOR


def test_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".venv", ".local", ".env"):
        assert path in ignored


def connector_jar() -> Path:
    cache = Path(os.environ.get("IOT_JAR_CACHE", Path.home() / ".cache/iot-monitor/jars"))
    jars = sorted((cache / "flink").glob("flink-sql-connector-kafka-*.jar"))
    assert jars, f"no Kafka connector jar in {cache / 'flink'}: run scripts/fetch-jars.sh flink"
    return jars[-1]


def test_kafka_classes_named_in_the_job_exist_in_the_connector(render):
    """The connector relocates the Kafka client: class names handed to it must match."""
    (flink,) = [d for d in render("flink", "prod") if d["kind"] == "FlinkDeployment"]
    text = (
        " ".join(flink["spec"]["job"]["args"])
        + flink["spec"]["flinkConfiguration"]["env.java.opts.all"]
    )
    named = set(re.findall(r"org\.apache\.[\w.]+\.[A-Z]\w+", text))
    assert named
    with zipfile.ZipFile(connector_jar()) as jar:
        classes = set(jar.namelist())
    missing = {name for name in named if name.replace(".", "/") + ".class" not in classes}
    assert missing == set()
