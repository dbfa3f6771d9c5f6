"""qa and prod hold no password anywhere, every pod meets the restricted Pod Security
Standard, nothing is exposed beyond the cluster, NetworkPolicies guard every
component, the monitor gets the Kafka settings its Python clients are tested with, and
the broker's logs stay out of its pod's /tmp."""

from __future__ import annotations

import re

import pytest

from tests.deploy.support import CHARTS, ENVS, literal_secrets, load_values, pod_specs
from testsupport.kafka_security import chart_kafka_properties

pytestmark = pytest.mark.deploy

SECURED = [(chart, env) for chart in CHARTS for env in ("qa", "prod")]
ALL = [(chart, env) for chart in CHARTS for env in ENVS]


@pytest.mark.parametrize(("chart", "env"), SECURED)
def test_no_literal_secret_in_qa_and_prod(render, chart, env):
    assert literal_secrets(render(chart, env)) == []
    assert literal_secrets(load_values(chart, env)) == []


@pytest.mark.parametrize(
    "leak",
    [
        {"kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": "hunter2"}},
        {"env": [{"name": "POSTGRES_PASSWORD", "value": "hunter2"}]},
        {"auth": {"adminPassword": "hunter2"}},
        {"data": {"vector.yaml": "endpoint: postgresql://writer:hunter2@db:5432/monitoring"}},
        {"data": {"server.properties": "ssl.keystore.password=hunter2\n"}},
        {"args": ["--kafka.property", "sasl.jaas.config=x password=hunter2;"]},
    ],
)
def test_the_scan_finds_a_literal_secret(leak):
    assert literal_secrets(leak), leak


@pytest.mark.parametrize(
    "reference",
    [
        {"env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db"}}}]},
        {"auth": {"existingSecret": "timescaledb-credentials"}},
        {"kafka": {"saslSecret": "kafka-sasl", "tlsSecret": "kafka-tls"}},
        {"data": {"vector.yaml": "endpoint: postgresql://w:${DB_PASSWORD:?unset}@db/m"}},
        {"data": {"start.sh": 'echo "ssl.keystore.password=$(cat /etc/tls/pass)"'}},
        {"args": ["ssl.truststore.password=${dir:/etc/kafka-client/tls:truststore-password}"]},
    ],
)
def test_the_scan_accepts_references(reference):
    assert literal_secrets(reference) == []


def restricted_violations(name: str, pod: dict) -> list[str]:
    problems = []
    pod_context = pod.get("securityContext", {})
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        problems.append(f"{name}: shares a host namespace")
    if any("hostPath" in volume for volume in pod.get("volumes", [])):
        problems.append(f"{name}: mounts a hostPath")
    if pod_context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: no RuntimeDefault seccomp profile")
    for container in pod.get("initContainers", []) + pod["containers"]:
        where = f"{name} container {container['name']}"
        context = {**pod_context, **container.get("securityContext", {})}
        if context.get("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if context.get("runAsUser", 1) == 0:
            problems.append(f"{where}: runs as root")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: may escalate privileges")
        if context.get("privileged"):
            problems.append(f"{where}: privileged")
        if context.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: does not drop all capabilities")
        if context.get("capabilities", {}).get("add"):
            problems.append(f"{where}: adds capabilities")
    return problems


@pytest.mark.parametrize(("chart", "env"), ALL)
def test_every_pod_runs_restricted_and_non_root(render, chart, env):
    pods = [pod for doc in render(chart, env) for pod in pod_specs(doc)]
    assert pods, f"{chart} renders no pod"
    problems = [p for name, pod in pods for p in restricted_violations(name, pod)]
    assert problems == []


def test_the_pod_check_finds_a_root_container():
    pod = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "securityContext": {"runAsUser": 0}}],
    }
    problems = restricted_violations("Pod/x", pod)
    assert any("runs as root" in p for p in problems)
    assert any("escalate" in p for p in problems)


@pytest.mark.parametrize(("chart", "env"), ALL)
def test_services_stay_inside_the_cluster(render, chart, env):
    for doc in render(chart, env):
        if doc["kind"] == "Service":
            assert doc["spec"].get("type", "ClusterIP") == "ClusterIP", doc["metadata"]["name"]
        if doc["kind"] == "FlinkDeployment":
            conf = doc["spec"]["flinkConfiguration"]
            assert conf["kubernetes.rest-service.exposed.type"] == "ClusterIP"


@pytest.mark.parametrize(("chart", "env"), ALL)
def test_network_policies_select_every_workload(render, chart, env):
    docs = render(chart, env)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert policies, f"{chart} has no NetworkPolicy"
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet", "FlinkDeployment"):
            continue
        if doc["kind"] == "FlinkDeployment":
            labels = doc["spec"]["podTemplate"]["metadata"]["labels"]
        else:
            labels = doc["spec"]["template"]["metadata"]["labels"]
        guarded = [
            p
            for p in policies
            if p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
            and "Ingress" in p["spec"]["policyTypes"]
        ]
        assert guarded, f"no NetworkPolicy selects {doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize(("chart", "port"), [("kafka", 9092), ("timescaledb", 5432)])
@pytest.mark.parametrize("env", ENVS)
def test_servers_admit_only_labelled_clients(render, chart, port, env):
    (policy,) = [d for d in render(chart, env) if d["kind"] == "NetworkPolicy"]
    for rule in policy["spec"]["ingress"]:
        assert rule.get("from"), f"{chart}: an ingress rule admits every peer"
        if any(p["port"] == port for p in rule["ports"]):
            peers = rule["from"]
            assert all("podSelector" in p or "namespaceSelector" in p for p in peers)


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_kafka_clients_use_sasl_ssl_in_qa_and_prod(render, env):
    (config,) = [d for d in render("kafka", env) if d["kind"] == "ConfigMap"]
    properties = config["data"]["server.properties"]
    assert "CLIENT:SASL_SSL" in properties
    assert "INTERNAL:SSL" in properties
    (flink,) = [d for d in render("flink", env) if d["kind"] == "FlinkDeployment"]
    assert "security.protocol=SASL_SSL" in flink["spec"]["job"]["args"]
    (vector,) = [d for d in render("vector", env) if d["kind"] == "Deployment"]
    env_vars = {e["name"]: e for e in vector["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env_vars["KAFKA_SECURITY_PROTOCOL"]["value"] == "sasl_ssl"
    assert "secretKeyRef" in env_vars["KAFKA_SASL_PASSWORD"]["valueFrom"]


def job_kafka_properties(flink: dict) -> dict[str, str]:
    args = flink["spec"]["job"]["args"]
    items = [args[i + 1] for i, arg in enumerate(args) if arg == "--kafka.property"]
    return dict(item.split("=", 1) for item in items)


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_the_monitor_gets_the_kafka_settings_its_python_clients_take(render, env):
    """What the secure-broker tests run the monitor, watch and the generator with
    (monitor/tests/integration/test_secure_kafka.py) is what qa and prod render, with
    the chart's mechanism and mount folders."""
    (flink,) = [d for d in render("flink", env) if d["kind"] == "FlinkDeployment"]
    values = load_values("flink", env)["kafka"]
    sasl_dir, tls_dir = "/etc/kafka-client/sasl", "/etc/kafka-client/tls"
    expected = chart_kafka_properties(values["saslMechanism"], sasl_dir, tls_dir)
    assert job_kafka_properties(flink) == expected
    mounts = {
        m["name"]: m["mountPath"]
        for m in flink["spec"]["podTemplate"]["spec"]["containers"][0]["volumeMounts"]
    }
    assert (mounts["kafka-sasl"], mounts["kafka-tls"]) == (sasl_dir, tls_dir)
    (kafka_config,) = [d for d in render("kafka", env) if d["kind"] == "ConfigMap"]
    broker_mechanism = load_values("kafka", env)["sasl"]["mechanism"]
    assert (
        f"sasl.enabled.mechanisms={broker_mechanism}" in kafka_config["data"]["server.properties"]
    )
    assert values["saslMechanism"] == broker_mechanism


@pytest.mark.parametrize("env", ENVS)
def test_the_kafka_broker_logs_only_to_the_console(render, env):
    """A log file in the pod's small /tmp (memory) would fill it and fail the next start."""
    docs = render("kafka", env)
    (config,) = [d for d in docs if d["kind"] == "ConfigMap"]
    (broker,) = [d for d in docs if d["kind"] == "StatefulSet"]
    pod = broker["spec"]["template"]["spec"]
    env_vars = {e["name"]: e.get("value", "") for e in pod["containers"][0]["env"]}
    log_config = env_vars["KAFKA_LOG4J_OPTS"].removeprefix("-Dlog4j2.configurationFile=")
    assert log_config.startswith("/etc/kafka-chart/")
    appenders = re.findall(
        r"^appender\.\w+\.type *= *(\w+)", config["data"][log_config.rsplit("/")[-1]], re.M
    )
    assert appenders == ["Console"]
    assert "-loggc" not in env_vars["EXTRA_ARGS"]
    (tmp,) = [v for v in pod["volumes"] if v["name"] == "tmp"]
    assert tmp["emptyDir"]["sizeLimit"] == "64Mi"
