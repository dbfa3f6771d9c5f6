"""Kafka over SASL_SSL, as qa and prod run it: the monitor, its `watch` and the event
generator all take the `--kafka.property` items the charts render (Java clients'
words, secrets through Kafka's DirectoryConfigProvider), and a wrong password or an
untrusted certificate is one line from each, naming the problem."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from iot_kafka_clients.config import librdkafka_config

from monitor.tests.integration.harness import (
    alerts_of,
    monitor_args,
    read_until,
    running_monitor,
    wait_for_checkpoint,
)
from testsupport.kafka import TEST_TOPIC_ROLES, reset_test_topics
from testsupport.kafka_security import SecureKafka, as_flags, self_signed_truststore

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
TOPICS = TEST_TOPIC_ROLES


@pytest.fixture
def secure_topics(secure_kafka: SecureKafka) -> dict[str, str]:
    admin = AdminClient({"bootstrap.servers": secure_kafka.plain_bootstrap})
    return reset_test_topics(admin, secure_kafka.plain_bootstrap)


def generator(bootstrap: str, properties: dict[str, str], *args: str) -> list[str]:
    return [
        sys.executable, "-m", "iot_event_generator", "--kafka.bootstrap.servers", bootstrap,
        "--topic", TOPICS["events"], *as_flags(properties), *args,
    ]  # fmt: skip


def watch(bootstrap: str, properties: dict[str, str], *args: str) -> list[str]:
    return [
        sys.executable, "-m", "iot_monitor", "watch", "--kafka.bootstrap.servers", bootstrap,
        "--alerts.topic", TOPICS["alerts"], "--dlq.topic", TOPICS["dlq"],
        "--status.topic", TOPICS["status"], *as_flags(properties), *args,
    ]  # fmt: skip


def preflight(bootstrap: str, properties: dict[str, str]) -> list[str]:
    """`iot-monitor run`, which checks Kafka before it starts Flink."""
    return [
        sys.executable, "-m", "iot_monitor", "run",
        *monitor_args(TOPICS, bootstrap, Path("/nonexistent")), *as_flags(properties),
    ]  # fmt: skip


def test_monitor_generator_and_watch_work_with_the_charts_settings(
    secure_kafka: SecureKafka, secure_topics: dict[str, str], tmp_path: Path
) -> None:
    properties = secure_kafka.chart_properties()
    checkpoints = tmp_path / "chk"
    args = monitor_args(
        secure_topics,
        secure_kafka.bootstrap,
        checkpoints,
        check_interval="5s",
        inactivity_timeout="10s",
        idle_timeout="5s",
    )
    truth_path = tmp_path / "truth.json"
    fleet = generator(
        secure_kafka.bootstrap, properties,
        "--num.devices", "8", "--event.interval.ms", "1000", "--duration.seconds", "20",
        "--failure.probability", "0.5", "--seed", "5", "--truth-file", str(truth_path), "--quiet",
    )  # fmt: skip
    with running_monitor([*args, *as_flags(properties)], tmp_path / "monitor.log"):
        wait_for_checkpoint(checkpoints)
        subprocess.run(fleet, check=True, timeout=120, capture_output=True)
        truth = json.loads(truth_path.read_text())
        failed = {failure["device-id"] for failure in truth["failures"]}
        assert failed, "seed 5 makes devices fail"
        messages = read_until(
            secure_kafka.plain_bootstrap,
            secure_topics["alerts"],
            lambda got: failed <= {device for _, device, _ in alerts_of(got)},
            timeout_s=90,
        )
    # Once the fleet stops every device falls silent; until ten seconds after its last
    # event only a failed one can have been silent for more than ten seconds.
    until_ms = (truth["last-event-time"] + 10) * 1000
    early = {device for check_ms, device, _ in alerts_of(messages) if check_ms <= until_ms}
    assert early <= failed <= {device for _, device, _ in alerts_of(messages)}
    shown = subprocess.run(
        watch(secure_kafka.bootstrap, properties, "--from-beginning", "--seconds", "8"),
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert all(f"ALERT {device}" in shown.stdout for device in failed), shown.stdout


def untrusted_tls(tmp_path: Path, secure_kafka: SecureKafka) -> Path:
    """A truststore with a CA of its own, which signed nothing the broker has."""
    tls = tmp_path / "untrusted-tls"
    tls.mkdir()
    password = (secure_kafka.tls_dir / "truststore-password").read_bytes()
    (tls / "truststore-password").write_bytes(password)
    self_signed_truststore(tls, "someone else's CA", password)
    return tls


def wrong_password(tmp_path: Path, secure_kafka: SecureKafka) -> Path:
    sasl = tmp_path / "wrong-sasl"
    shutil.copytree(secure_kafka.sasl_dir, sasl)
    jaas = (sasl / "sasl.jaas.config").read_text()
    (sasl / "sasl.jaas.config").write_text(jaas.replace('password="', 'password="not-'))
    return sasl


@pytest.mark.parametrize(
    ("problem", "said"),
    [("wrong password", "refused the login"), ("untrusted certificate", "is not trusted")],
)
@pytest.mark.parametrize("program", ["preflight", "watch", "generator"])
def test_a_wrong_password_or_certificate_is_one_line_naming_it(
    secure_kafka: SecureKafka, tmp_path: Path, problem: str, said: str, program: str
) -> None:
    properties = secure_kafka.chart_properties()
    if problem == "wrong password":
        properties["sasl.jaas.config"] = f"${{dir:{wrong_password(tmp_path, secure_kafka)}:"
        properties["sasl.jaas.config"] += "sasl.jaas.config}"
    else:
        tls = untrusted_tls(tmp_path, secure_kafka)
        properties["ssl.truststore.location"] = f"{tls}/truststore.p12"
    command = {
        "preflight": preflight(secure_kafka.bootstrap, properties),
        "watch": watch(secure_kafka.bootstrap, properties, "--seconds", "5"),
        "generator": generator(secure_kafka.bootstrap, properties, "--duration.seconds", "1"),
    }[program]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ)
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert said in lines[0], lines[0]
    assert f"at {secure_kafka.bootstrap}" in lines[0]


@pytest.mark.parametrize(
    ("kind", "file"), [("PKCS12", "truststore.p12"), ("JKS", "truststore.jks")]
)
def test_truststores_written_by_keytool_give_the_ca(
    secure_kafka: SecureKafka, kind: str, file: str
) -> None:
    properties = {
        **secure_kafka.chart_properties(),
        "ssl.truststore.type": kind,
        "ssl.truststore.location": str(secure_kafka.tls_dir / file),
    }
    ca = (secure_kafka.tls_dir / "ca.crt").read_text()
    assert librdkafka_config(properties)["ssl.ca.pem"].strip() == ca.strip()
