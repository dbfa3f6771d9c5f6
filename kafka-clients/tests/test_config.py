"""The Java clients' Kafka settings (as the charts render them) made into librdkafka's:
what is translated, what stays with the Java clients, what is refused and how."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from iot_kafka_clients.config import (
    KafkaSettingsError,
    jaas_login,
    java_properties,
    librdkafka_config,
    resolve_placeholders,
)

from testsupport.kafka_security import SHADED, chart_kafka_properties, self_signed_truststore

SCRAM = SHADED + "org.apache.kafka.common.security.scram.ScramLoginModule"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed CA in PEM and in a PKCS#12 truststore (password `changeit`).
    JKS stores, and PKCS#12 ones written by Java's keytool, are read in
    monitor/tests/integration/test_secure_kafka.py (keytool needs a JVM)."""
    folder = tmp_path_factory.mktemp("ca")
    certificate = self_signed_truststore(folder, "test CA", b"changeit")
    (folder / "ca.crt").write_bytes(certificate.public_bytes(Encoding.PEM))
    return {"pem": folder / "ca.crt", "pkcs12": folder / "truststore.p12"}


def secrets(tmp_path: Path, password: str = "s3cret") -> tuple[Path, Path]:
    sasl, tls = tmp_path / "sasl", tmp_path / "tls"
    sasl.mkdir()
    tls.mkdir()
    (sasl / "sasl.jaas.config").write_text(
        f'{SCRAM} required username="monitor" password="{password}";'
    )
    (tls / "truststore-password").write_text("changeit")
    return sasl, tls


def test_the_charts_settings_become_librdkafkas(tmp_path: Path, ca: dict[str, Path]) -> None:
    sasl, tls = secrets(tmp_path)
    (tls / "truststore.p12").write_bytes(ca["pkcs12"].read_bytes())
    properties = chart_kafka_properties("SCRAM-SHA-512", sasl, tls)
    config = librdkafka_config(properties)
    assert config == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "monitor",
        "sasl.password": "s3cret",
        "ssl.endpoint.identification.algorithm": "https",
        "ssl.ca.pem": ca["pem"].read_text(),
    }


@pytest.mark.parametrize("kind", ["pkcs12", "pem"])
def test_every_kind_of_truststore_gives_the_ca(ca: dict[str, Path], kind: str) -> None:
    config = librdkafka_config(
        {
            "security.protocol": "SSL",
            "ssl.truststore.type": "PEM" if kind == "pem" else kind.upper(),
            "ssl.truststore.location": str(ca[kind]),
            "ssl.truststore.password": "changeit",
        }
    )
    assert config["ssl.ca.pem"].strip() == ca["pem"].read_text().strip()


def test_a_wrong_truststore_password_is_named(ca: dict[str, Path]) -> None:
    kind = "pkcs12"
    properties = {
        "security.protocol": "SSL",
        "ssl.truststore.type": kind.upper(),
        "ssl.truststore.location": str(ca[kind]),
        "ssl.truststore.password": "wrong",
    }
    with pytest.raises(KafkaSettingsError, match=r"ssl\.truststore\.password does not open"):
        librdkafka_config(properties)


def test_a_missing_truststore_is_named(tmp_path: Path) -> None:
    properties = {"security.protocol": "SSL", "ssl.truststore.location": str(tmp_path / "no")}
    with pytest.raises(KafkaSettingsError, match=r"ssl\.truststore\.location: cannot read"):
        librdkafka_config(properties)


def test_java_only_settings_stay_with_the_java_clients() -> None:
    properties = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": "x.org.apache.kafka.common.security.plain.PlainLoginModule "
        'required username="u" password="p";',
        "ssl.protocol": "TLSv1.3",
        "ssl.endpoint.identification.algorithm": "",
        "isolation.level": "read_committed",
        "commit.offsets.on.checkpoint": "true",
    }
    config = librdkafka_config(properties)
    assert "isolation.level" not in config
    assert "ssl.protocol" not in config
    assert config["ssl.endpoint.identification.algorithm"] == "none"
    assert librdkafka_config(properties, tuning=True)["isolation.level"] == "read_committed"


@pytest.mark.parametrize(
    ("properties", "named"),
    [
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI"}, "sasl.mechanism=GSSAPI"),
        ({"security.protocol": "SASL_PLAINTEXT"}, "sasl.mechanism=GSSAPI"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}, "sasl.jaas.config is"),
        (
            {
                "security.protocol": "SASL_SSL",
                "sasl.mechanism": "PLAIN",
                "sasl.jaas.config": f'{SCRAM} required username="u" password="p";',
            },
            "PLAIN needs PlainLoginModule",
        ),
        ({"ssl.cipher.suites": "TLS_AES_128_GCM_SHA256"}, "ssl.cipher.suites"),
        ({"sasl.login.callback.handler.class": "x.Y"}, "sasl.login.callback.handler.class"),
        ({"sasl.username": "u"}, "sasl.jaas.config's username"),
        ({"ssl.ca.location": "/ca.pem"}, "ssl.truststore.type=PEM"),
        (
            {"config.providers": "v", "config.providers.v.class": "com.example.Vault"},
            "config.providers.v.class=com.example.Vault",
        ),
        ({"config.providers": "d", "sasl.jaas.config": "${d:/x:y}"}, "config.providers.d.class"),
    ],
)
def test_what_cannot_be_translated_is_refused_by_name(properties: dict, named: str) -> None:
    with pytest.raises(KafkaSettingsError, match=named.replace(".", r"\.")):
        librdkafka_config(properties)


def test_placeholders_are_filled_as_kafkas_providers_fill_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret.properties").write_text("# c\nuser = monitor\npass\\\n  word:p=w\\u0021\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "token").write_text("t0k\n")
    monkeypatch.setenv("KAFKA_TEST_SECRET", "from-env")
    properties = {
        "config.providers": "file, dir,env",
        "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        "config.providers.dir.class": SHADED
        + "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        "config.providers.env.class": "org.apache.kafka.common.config.provider."
        "EnvVarConfigProvider",
        "a": f"${{file:{tmp_path}/secret.properties:user}}/${{file:{tmp_path}/secret.properties:"
        "password}",
        "b": f"${{dir:{tmp_path}/dir:token}}",
        "c": "${env:KAFKA_TEST_SECRET}",
    }
    resolved = resolve_placeholders(properties)
    assert (resolved["a"], resolved["b"], resolved["c"]) == ("monitor/p=w!", "t0k\n", "from-env")


def test_a_placeholder_that_finds_nothing_is_named(tmp_path: Path) -> None:
    base = {
        "config.providers": "dir",
        "config.providers.dir.class": "org.apache.kafka.common.config.provider."
        "DirectoryConfigProvider",
        "config.providers.dir.param.allowed.paths": str(tmp_path),
    }
    with pytest.raises(KafkaSettingsError, match="cannot read"):
        resolve_placeholders({**base, "x": f"${{dir:{tmp_path}:missing}}"})
    with pytest.raises(KafkaSettingsError, match=r"allowed\.paths"):
        resolve_placeholders({**base, "x": "${dir:/etc:hostname}"})
    with pytest.raises(KafkaSettingsError, match="declares no provider 'file'"):
        resolve_placeholders({**base, "x": "${file:/etc/x:y}"})


def test_without_providers_nothing_is_a_placeholder() -> None:
    assert resolve_placeholders({"x": "${dir:/a:b}"}) == {"x": "${dir:/a:b}"}


@pytest.mark.parametrize(
    ("line", "options"),
    [
        ('M required username="monitor" password="p;w \\"q\\"";', ("monitor", 'p;w "q"')),
        ("M required username=monitor password=pw;", ("monitor", "pw")),
        ('  M  required\n  username="a"\n  password="b"  ;  ', ("a", "b")),
    ],
)
def test_jaas_lines_are_read_as_kafka_reads_them(line: str, options: tuple[str, str]) -> None:
    module, found = jaas_login(line)
    assert module == "M"
    assert (found["username"], found["password"]) == options


@pytest.mark.parametrize("line", ["M required username=a", "M required a b;", "M;"])
def test_a_broken_jaas_line_is_refused(line: str) -> None:
    with pytest.raises(KafkaSettingsError, match=r"sasl\.jaas\.config"):
        jaas_login(line)


def test_java_properties_files() -> None:
    text = "! c\n a=1\nb : 2\nc 3\nd\\ e=4\nf=\\\n   5\\n\n"
    assert java_properties(text) == {"a": "1", "b": "2", "c": "3", "d e": "4", "f": "5\n"}
