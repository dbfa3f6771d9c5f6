"""The sizes of each environment (docs/deployment.md), the topics, and the monitor's job
as the Flink Kubernetes Operator runs it."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.deploy.support import ENVS, INFRA, ROOT, namespace

pytestmark = pytest.mark.deploy


def one(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def container(workload):
    return workload["spec"]["template"]["spec"]["containers"][0]


def memory(workload):
    resources = container(workload)["resources"]
    return resources["requests"]["memory"], resources["limits"]["memory"]


def storage(statefulset):
    return statefulset["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"][
        "storage"
    ]


# env: (replicas, memory request, memory limit)
KAFKA = {"dev": (1, "1Gi", "2Gi"), "prod": (3, "4Gi", "8Gi")}
# env: (JobManager memory, TaskManagers, TaskManager memory)
FLINK = {"dev": ("2048m", 2, "2048m"), "prod": ("4096m", 3, "4096m")}
TIMESCALEDB = {"dev": ("1Gi", "2Gi", "10Gi"), "prod": ("4Gi", "8Gi", "200Gi")}
VECTOR = {"dev": (1, "512Mi"), "prod": (3, "2Gi")}
GRAFANA = {"dev": ("512Mi", "1Gi", "5Gi"), "prod": ("2Gi", "4Gi", "50Gi")}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_kafka_size(render, env):
    broker = one(render("kafka", env), "StatefulSet")
    replicas, request, limit = KAFKA[env]
    assert broker["spec"]["replicas"] == replicas
    assert memory(broker) == (request, limit)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_flink_size(render, env):
    spec = one(render("flink", env), "FlinkDeployment")["spec"]
    jm_memory, taskmanagers, tm_memory = FLINK[env]
    assert spec["jobManager"]["resource"]["memory"] == jm_memory
    assert spec["taskManager"]["replicas"] == taskmanagers
    assert spec["taskManager"]["resource"]["memory"] == tm_memory


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_timescaledb_size(render, env):
    database = one(render("timescaledb", env), "StatefulSet")
    request, limit, disk = TIMESCALEDB[env]
    assert memory(database) == (request, limit)
    assert storage(database) == disk


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_vector_size(render, env):
    vector = one(render("vector", env), "Deployment")
    replicas, limit = VECTOR[env]
    assert vector["spec"]["replicas"] == replicas
    assert memory(vector)[1] == limit


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_grafana_size(render, env):
    docs = render("grafana", env)
    request, limit, disk = GRAFANA[env]
    assert memory(one(docs, "Deployment")) == (request, limit)
    claim = one(docs, "PersistentVolumeClaim")
    assert claim["spec"]["resources"]["requests"]["storage"] == disk


@pytest.mark.parametrize("env", ENVS)
def test_topics_and_transactions(render, env):
    docs = render("kafka", env)
    replicas = one(docs, "StatefulSet")["spec"]["replicas"]
    properties = one(docs, "ConfigMap")["data"]
    server = dict(
        line.split("=", 1) for line in properties["server.properties"].splitlines() if "=" in line
    )
    # Transactions need their state log replicated to every broker there is (up to 3).
    assert server["transaction.state.log.replication.factor"] == str(min(3, replicas))
    assert int(server["transaction.state.log.min.isr"]) <= min(3, replicas)
    assert server["transaction.max.timeout.ms"] == "900000"
    assert server["auto.create.topics.enable"] == "false"
    assert len(server["controller.quorum.voters"].split(",")) == replicas
    script = properties["create-topics.sh"]
    created = re.findall(r"--topic (\S+) --partitions (\d+)", script)
    assert dict(created) == {
        "events": "3",
        "alerts": "1",
        "events-dlq": "1",
        "device-status": "1",
        "device-settings": "1",
    }
    # Only the settings are compacted (the newest record of each key counts).
    commands = script.split("/opt/kafka/bin/kafka-topics.sh")
    compacted = [
        re.search(r"--topic (\S+)", c)[1] for c in commands if "cleanup.policy=compact" in c
    ]
    assert compacted == ["device-settings"]


def flink_pin() -> str:
    project = tomllib.loads((ROOT / "monitor/pyproject.toml").read_text())
    (pin,) = [d for d in project["project"]["dependencies"] if d.startswith("apache-flink")]
    return pin.split("==")[1]


@pytest.mark.parametrize("env", ENVS)
def test_flink_job(render, env):
    spec = one(render("flink", env), "FlinkDeployment")["spec"]
    version = flink_pin()
    major, minor = version.split(".")[:2]
    assert spec["flinkVersion"] == f"v{major}_{minor}"
    assert spec["mode"] == "native"
    job = spec["job"]
    assert job["entryClass"] == "org.apache.flink.client.python.PythonDriver"
    assert job["jarURI"] == f"local:///opt/flink/opt/flink-python-{version}.jar"
    assert job["upgradeMode"] == "savepoint"
    args = job["args"]
    assert args[:3] == ["-pym", "iot_monitor", "run"]
    flags = dict(zip(args[3::2], args[4::2], strict=False))
    assert flags["--transactional-id-prefix"] == f"iot-monitor-{namespace(env)}"
    assert flags["--delivery-guarantee"] == "exactly-once"
    assert flags["--parallelism"] == str(job["parallelism"])
    # Every slot busy, no slot short: parallelism = TaskManagers x slots.
    conf = spec["flinkConfiguration"]
    slots = int(conf["taskmanager.numberOfTaskSlots"])
    assert job["parallelism"] == spec["taskManager"]["replicas"] * slots
    assert conf["parallelism.default"] == str(job["parallelism"])
    assert flags["--checkpoint.dir"] == conf["execution.checkpointing.dir"]
    assert conf["execution.checkpointing.savepoint-dir"]
    assert conf["execution.checkpointing.interval"] == "10s"
    assert conf["high-availability.type"] == "kubernetes"
    assert conf["high-availability.storageDir"]


def test_flink_chart_and_image_follow_the_pin():
    version = flink_pin()
    chart = (INFRA / "flink/Chart.yaml").read_text()
    assert f'appVersion: "{version}"' in chart
    assert f"flink-python-{version}.jar" in (INFRA / "flink/values.yaml").read_text()
    # the monitor's Java functions compile against the Flink and the Kafka connector
    # they run with
    pom = (ROOT / "jvm/monitor-functions/pom.xml").read_text()
    assert f"<flink.version>{version}</flink.version>" in pom
    connector = re.search(
        r"<flink.kafka.connector.version>(.+)</flink.kafka.connector.version>",
        (ROOT / "jvm/flink-connectors/pom.xml").read_text(),
    )
    assert connector
    assert connector.group(0) in pom


@pytest.mark.parametrize("env", ENVS)
def test_kafka_cluster_id_is_sixteen_bytes_of_base64url(render, env):
    import base64

    broker = one(render("kafka", env), "StatefulSet")
    env_vars = {e["name"]: e.get("value") for e in container(broker)["env"]}
    cluster_id = env_vars["CLUSTER_ID"]
    assert len(cluster_id) == 22
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
