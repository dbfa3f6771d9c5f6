"""The certificates a Java client trusts, from its truststore settings, in PEM for
librdkafka (`ssl.ca.pem`): JKS (read here, its integrity checked with the password as
keytool does), PKCS#12 (with the `cryptography` package: Java encrypts the
certificates of a PKCS#12 store with AES) and PEM.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from hashlib import sha1
from pathlib import Path
from typing import Any

JKS_MAGIC = 0xFEEDFEED


class TruststoreError(ValueError):
    """A truststore that cannot be read, in words naming the setting."""


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TruststoreError(f"{what}: cannot read {path} ({exc.strerror})") from None


def truststore_pem(values: Mapping[str, str]) -> str:
    """The trusted certificates of the Java truststore settings, in PEM."""
    kind = values.get("ssl.truststore.type", "JKS").upper()
    if kind == "PEM":
        if "ssl.truststore.certificates" in values:
            return values["ssl.truststore.certificates"]
        return _read(Path(values["ssl.truststore.location"]), "ssl.truststore.location").decode()
    location = values.get("ssl.truststore.location", "")
    data = _read(Path(location), "ssl.truststore.location")
    password = values.get("ssl.truststore.password")
    if kind not in ("JKS", "PKCS12"):
        raise TruststoreError(f"ssl.truststore.type={kind}: JKS, PKCS12 or PEM")
    # Like Java's keystore.type.compat, which reads either kind whichever type is named.
    is_jks = data[:4] == JKS_MAGIC.to_bytes(4, "big")
    certificates = _jks_certificates(data, password) if is_jks else _pkcs12(data, password)
    if not certificates:
        raise TruststoreError(f"ssl.truststore.location: {location} holds no certificate")
    return "".join(_pem(der) for der in certificates)


def _pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _pkcs12(data: bytes, password: str | None) -> list[bytes]:
    # cryptography only for PKCS#12, whose certificates are encrypted (PBES2 with AES)
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    try:
        store = pkcs12.load_pkcs12(data, password.encode() if password else None)
    except ValueError:
        raise TruststoreError(
            "ssl.truststore.password does not open ssl.truststore.location (or it is no PKCS12)"
        ) from None
    certificates = [store.cert] if store.cert else []
    certificates += store.additional_certs
    return [item.certificate.public_bytes(Encoding.DER) for item in certificates]


def _jks_certificates(data: bytes, password: str | None) -> list[bytes]:
    """The trusted certificates of a JKS keystore (and the first of each key's chain),
    its integrity checked with the password as Java's keytool does."""
    reader = _Reader(data)
    _magic, _version, count = reader.unpack(">III")
    certificates = []
    for _ in range(count):
        tag = reader.unpack(">I")[0]
        reader.utf(), reader.unpack(">Q")  # alias and date
        if tag == 1:
            reader.take(reader.unpack(">I")[0])  # the encrypted private key
            chain = [_jks_certificate(reader) for _ in range(reader.unpack(">I")[0])]
            certificates += chain[:1]
        elif tag == 2:
            certificates.append(_jks_certificate(reader))
        else:
            raise TruststoreError("ssl.truststore.location: not a JKS keystore Java wrote")
    if password is not None:
        signed = password.encode("utf-16-be") + b"Mighty Aphrodite" + data[: reader.at]
        if sha1(signed).digest() != reader.take(20):
            raise TruststoreError("ssl.truststore.password does not open ssl.truststore.location")
    return certificates


def _jks_certificate(reader: _Reader) -> bytes:
    reader.utf()  # the type, X.509
    return reader.take(reader.unpack(">I")[0])


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise TruststoreError("ssl.truststore.location: a JKS keystore cut short")
        self.at += size
        return self.data[self.at - size : self.at]

    def unpack(self, layout: str) -> tuple[Any, ...]:
        return struct.unpack(layout, self.take(struct.calcsize(layout)))

    def utf(self) -> str:
        return self.take(self.unpack(">H")[0]).decode("utf-8", "replace")
