"""The Kafka client settings the qa and prod charts give the monitor (the flink chart's
`--kafka.property` items), with the secrets' mount folders as parameters: the deploy
tests check that the chart renders exactly these, the secure-broker tests run the
monitor, `watch` and the generator with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

# The Kafka SQL connector relocates the Kafka client under this package.
SHADED = "org.apache.flink.kafka.shaded."


def chart_kafka_properties(
    mechanism: str, sasl_dir: Path | str, tls_dir: Path | str
) -> dict[str, str]:
    """SASL_SSL with the login from `sasl_dir`/sasl.jaas.config and the CA from the
    PKCS#12 truststore `tls_dir`/truststore.p12, whose password is in
    `tls_dir`/truststore-password, both read through Kafka's DirectoryConfigProvider."""
    return {
        "security.protocol": "SASL_SSL",
        "config.providers": "dir",
        "config.providers.dir.class": SHADED
        + "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        "sasl.mechanism": mechanism,
        "sasl.jaas.config": f"${{dir:{sasl_dir}:sasl.jaas.config}}",
        "ssl.truststore.type": "PKCS12",
        "ssl.truststore.location": f"{tls_dir}/truststore.p12",
        "ssl.truststore.password": f"${{dir:{tls_dir}:truststore-password}}",
    }


def as_flags(properties: dict[str, str]) -> list[str]:
    """`--kafka.property KEY=VALUE` for each, as the chart writes them (sorted by key)."""
    return [
        item
        for key in sorted(properties)
        for item in ("--kafka.property", f"{key}={properties[key]}")
    ]


@dataclass(frozen=True)
class SecureKafka:
    """A broker with a SASL_SSL listener and what a client needs to use it, laid out
    as scripts/local-kafka.sh --secure writes it (and the charts mount it)."""

    plain_bootstrap: str  # the same broker without TLS or SASL, for the tests' own reading
    bootstrap: str  # the SASL_SSL listener
    home: Path  # holds sasl/sasl.jaas.config, tls/truststore.p12, tls/truststore-password

    @property
    def sasl_dir(self) -> Path:
        return self.home / "sasl"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    def chart_properties(self) -> dict[str, str]:
        return chart_kafka_properties("SCRAM-SHA-512", self.sasl_dir, self.tls_dir)


def self_signed_truststore(folder: Path, common_name: str, password: bytes) -> x509.Certificate:
    """A CA of its own (a day's validity) in `folder`/truststore.p12, under `password`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "truststore.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(
            None, None, None, [certificate], BestAvailableEncryption(password)
        )
    )
    return certificate
