"""One set of Kafka settings for every client: the Java clients' words, as the charts
render them, made into librdkafka's for the Python clients (confluent-kafka).

`--kafka.property` goes as given to Flink's Java Kafka connector. The Python clients
(the monitor's preflight and `watch`, the event generator) get what `librdkafka_config`
makes of the same settings:

- `${provider:[path:]key}` placeholders are filled as Kafka's FileConfigProvider,
  DirectoryConfigProvider and EnvVarConfigProvider fill them (`config.providers`);
- `sasl.jaas.config` of PLAIN or SCRAM gives `sasl.username` and `sasl.password`;
- a JKS, PKCS#12 or PEM truststore gives the CA certificates (`ssl.ca.pem`);
- `ssl.endpoint.identification.algorithm=` (empty: no host name check) becomes `none`;
- Java-only TLS tuning (`ssl.protocol`, `ssl.enabled.protocols`, the key and trust
  manager algorithms, `ssl.secure.random.implementation`) is left to the Java clients;
- any other `ssl.*` or `sasl.*` setting, and other login modules or mechanisms, stop
  the program with a message naming the setting: a Python client that silently
  connected differently from the job would be worse.

Settings that are neither security nor providers are the Java clients' own (consumer
and producer tuning) and stay out, unless `tuning` passes them through as librdkafka's.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from iot_kafka_clients.truststores import TruststoreError, truststore_pem

PLACEHOLDER = re.compile(r"\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}")  # Kafka's ConfigTransformer's
PROVIDER_PACKAGE = "org.apache.kafka.common.config.provider."
JAVA_ONLY_TLS = {
    "ssl.protocol",
    "ssl.enabled.protocols",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.secure.random.implementation",
}
TRUSTSTORE_KEYS = {
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
}
# librdkafka opens a PKCS#12 keystore's key with the store's password
KEYSTORE_KEYS = {"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password"}
KEYSTORE_KEYS |= {"ssl.key.password"}
LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}
# librdkafka's own words for what the Java clients call otherwise.
LIBRDKAFKA_WORDS = {
    "sasl.username": "sasl.jaas.config's username",
    "sasl.password": "sasl.jaas.config's password",
    "sasl.mechanisms": "sasl.mechanism",
    "ssl.ca.location": "ssl.truststore.type=PEM with ssl.truststore.location",
    "ssl.ca.pem": "ssl.truststore.type=PEM with ssl.truststore.certificates",
}


class KafkaSettingsError(ValueError):
    """A Kafka setting the Python clients cannot apply as the Java clients would."""


def librdkafka_config(properties: Mapping[str, str], *, tuning: bool = False) -> dict[str, str]:
    """librdkafka's settings for a client that connects as the Java clients given
    `properties` do. Raises KafkaSettingsError naming the setting it cannot translate."""
    values = resolve_placeholders(properties)
    protocol = values.get("security.protocol", "PLAINTEXT").upper()
    config = {"security.protocol": protocol} if "security.protocol" in values else {}
    if protocol.startswith("SASL_"):
        config.update(_sasl(values))
    if protocol.endswith("SSL"):
        config.update(_tls(values))
    handled = {"security.protocol", "sasl.mechanism", "sasl.jaas.config"}
    handled |= TRUSTSTORE_KEYS | KEYSTORE_KEYS | JAVA_ONLY_TLS
    handled |= {"ssl.endpoint.identification.algorithm"}
    for key, value in values.items():
        if key.startswith("config.providers") or key in handled:
            continue
        if key in LIBRDKAFKA_WORDS:
            raise KafkaSettingsError(
                f"{key} is librdkafka's word; give the Java clients' {LIBRDKAFKA_WORDS[key]}, "
                "which both the job and the Python clients take"
            )
        if key.startswith(("ssl.", "sasl.")):
            raise KafkaSettingsError(f"{key}: the Python Kafka clients cannot apply it")
        if tuning:
            config[key] = value
    return config


# ---- ${provider:path:key} placeholders


def resolve_placeholders(properties: Mapping[str, str]) -> dict[str, str]:
    """`properties` with each placeholder filled by the config provider it names. As in
    Kafka, without `config.providers` nothing is a placeholder."""
    providers = _providers(properties)
    if not providers:
        return dict(properties)

    def fill(match: re.Match[str]) -> str:
        name, path, key = match.group(1), match.group(2), match.group(3)
        if name not in providers:
            raise KafkaSettingsError(
                f"{match.group(0)}: config.providers declares no provider '{name}'"
            )
        return providers[name](path, key)

    return {
        key: value if key.startswith("config.providers") else PLACEHOLDER.sub(fill, value)
        for key, value in properties.items()
    }


Provider = Callable[[str | None, str], str]


def _providers(properties: Mapping[str, str]) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for name in filter(
        None, (n.strip() for n in properties.get("config.providers", "").split(","))
    ):
        class_key = f"config.providers.{name}.class"
        java_class = properties.get(class_key, "")
        package, _, simple = java_class.rpartition(".")
        prefix = f"config.providers.{name}.param."
        params = {k.removeprefix(prefix): v for k, v in properties.items() if k.startswith(prefix)}
        readers = {
            "FileConfigProvider": _file_provider,
            "DirectoryConfigProvider": _directory_provider,
            "EnvVarConfigProvider": _env_provider,
        }
        if not (package + ".").endswith(PROVIDER_PACKAGE) or simple not in readers:
            raise KafkaSettingsError(
                f"{class_key}={java_class}: the Python Kafka clients read only Kafka's "
                "FileConfigProvider, DirectoryConfigProvider and EnvVarConfigProvider"
            )
        providers[name] = readers[simple](name, params)
    return providers


def _allowed(name: str, params: Mapping[str, str]) -> Callable[[str], Path]:
    allowed = [Path(p.strip()).resolve() for p in params.get("allowed.paths", "").split(",") if p]

    def check(path: str) -> Path:
        resolved = Path(path).resolve()
        if allowed and not any(resolved.is_relative_to(root) for root in allowed):
            raise KafkaSettingsError(f"{path}: not under config.providers.{name}'s allowed.paths")
        return Path(path)

    return check


def _file_provider(name: str, params: Mapping[str, str]) -> Provider:
    check = _allowed(name, params)

    def value(path: str | None, key: str) -> str:
        file = check(path or "")
        found = java_properties(_read(file, f"${{{name}:...}}").decode("latin-1")).get(key)
        if found is None:
            raise KafkaSettingsError(f"${{{name}:{path}:{key}}}: {path} has no key '{key}'")
        return found

    return value


def _directory_provider(name: str, params: Mapping[str, str]) -> Provider:
    check = _allowed(name, params)

    def value(path: str | None, key: str) -> str:
        if not path or key.startswith(".") or "/" in key:
            raise KafkaSettingsError(f"${{{name}:{path}:{key}}}: not a file in a folder")
        return _read(check(path) / key, f"${{{name}:{path}:{key}}}").decode()

    return value


def _env_provider(name: str, params: Mapping[str, str]) -> Provider:
    pattern = re.compile(params.get("allowlist.pattern", ".*"))

    def value(path: str | None, key: str) -> str:
        found = os.environ.get(key) if pattern.fullmatch(key) else None
        if path or found is None:
            raise KafkaSettingsError(f"${{{name}:{key}}}: no such environment variable")
        return found

    return value


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KafkaSettingsError(f"{what}: cannot read {path} ({exc.strerror})") from None


def java_properties(text: str) -> dict[str, str]:
    """A `.properties` file as java.util.Properties reads it."""
    found: dict[str, str] = {}
    logical = re.sub(r"(?<!\\)((?:\\\\)*)\\\r?\n[ \t\f]*", r"\1", text)
    for line in logical.splitlines():
        line = line.lstrip(" \t\f")
        if not line or line[0] in "#!":
            continue
        split = re.match(r"((?:[^\\=: \t\f]|\\.)*)[ \t\f]*[=:]?[ \t\f]*(.*)", line, re.S)
        assert split is not None  # the pattern matches any text
        found[_unescape(split.group(1))] = _unescape(split.group(2))
    return found


def _unescape(text: str) -> str:
    simple = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        return chr(int(code[1:], 16)) if code[0] == "u" else simple.get(code, code)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", one, text)


# ---- SASL


def _sasl(values: Mapping[str, str]) -> dict[str, str]:
    mechanism = values.get("sasl.mechanism", "GSSAPI").upper()  # the Java clients' default
    if mechanism not in LOGIN_MODULES:
        raise KafkaSettingsError(
            f"sasl.mechanism={mechanism}: the Python Kafka clients take "
            f"{', '.join(LOGIN_MODULES)} from these settings"
        )
    if "sasl.jaas.config" not in values:
        raise KafkaSettingsError(f"sasl.jaas.config is needed for sasl.mechanism={mechanism}")
    module, options = jaas_login(values["sasl.jaas.config"])
    if not module.endswith(LOGIN_MODULES[mechanism]):
        raise KafkaSettingsError(
            f"sasl.jaas.config: {mechanism} needs {LOGIN_MODULES[mechanism].rsplit('.', 1)[1]}"
            f" (as ...{LOGIN_MODULES[mechanism]}), not {module}"
        )
    if options.get("tokenauth", "false").lower() == "true":
        raise KafkaSettingsError("sasl.jaas.config: delegation tokens (tokenauth) are not taken")
    missing = [name for name in ("username", "password") if name not in options]
    if missing:
        raise KafkaSettingsError(f"sasl.jaas.config has no {' and no '.join(missing)}")
    return {
        "sasl.mechanism": mechanism,
        "sasl.username": options["username"],
        "sasl.password": options["password"],
    }


JAAS_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^\s=;"]+)|([=;]))', re.S)


def jaas_login(text: str) -> tuple[str, dict[str, str]]:
    """The login module and options of a one-module JAAS line, as Kafka parses it:
    `Module flag key=value ... ;`, values bare or in double quotes."""
    tokens: list[tuple[str, bool]] = []  # (text, is a word or quoted value)
    position, text = 0, text.strip()
    while position < len(text):
        match = JAAS_TOKEN.match(text, position)
        if match is None:
            raise KafkaSettingsError("sasl.jaas.config: not a JAAS line (Module required k=v;)")
        quoted, word, mark = match.groups()
        tokens.append((_unescape(quoted) if quoted is not None else word or mark, mark is None))
        position = match.end()
    if len(tokens) < 3 or tokens[-1] != (";", False) or not tokens[0][1] or not tokens[1][1]:
        raise KafkaSettingsError("sasl.jaas.config: not a JAAS line (Module required k=v;)")
    body, options = tokens[2:-1], {}
    if len(body) % 3 or any(body[i + 1] != ("=", False) for i in range(0, len(body), 3)):
        raise KafkaSettingsError("sasl.jaas.config: options must be key=value, one module only")
    for i in range(0, len(body), 3):
        options[body[i][0]] = body[i + 2][0]
    return tokens[0][0], options


# ---- TLS


def _tls(values: Mapping[str, str]) -> dict[str, str]:
    config: dict[str, str] = {}
    check = values.get("ssl.endpoint.identification.algorithm", "https").lower()
    if check not in ("", "https"):
        raise KafkaSettingsError(f"ssl.endpoint.identification.algorithm={check}: '' or https")
    config["ssl.endpoint.identification.algorithm"] = check or "none"
    if "ssl.truststore.location" in values or "ssl.truststore.certificates" in values:
        try:
            config["ssl.ca.pem"] = truststore_pem(values)
        except TruststoreError as exc:
            raise KafkaSettingsError(str(exc)) from None
    if "ssl.keystore.location" in values:
        if values.get("ssl.keystore.type", "JKS").upper() != "PKCS12":
            raise KafkaSettingsError("ssl.keystore.type: the Python Kafka clients take PKCS12")
        config["ssl.keystore.location"] = values["ssl.keystore.location"]
        if "ssl.keystore.password" in values:
            config["ssl.keystore.password"] = values["ssl.keystore.password"]
    return config


# ---- connecting, with one line for what went wrong


class KafkaConnectionError(RuntimeError):
    """Kafka could not be reached or `refused` the client; the message is one line."""

    def __init__(self, message: str, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


# What retrying does not cure: a refused login, a failed TLS handshake.
REFUSALS = {KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED, KafkaError._SSL}


class ClientErrors:
    """A client's `error_cb`: keeps the first refusal, passing every error on to `then`."""

    def __init__(self, then: Callable[[KafkaError], None] | None = None) -> None:
        self.refusal: KafkaError | None = None
        self._then = then

    def __call__(self, error: KafkaError) -> None:
        if self.refusal is None and error.code() in REFUSALS:
            self.refusal = error
        if self._then is not None:
            self._then(error)


def cluster_metadata(
    client: Any, bootstrap: str, errors: ClientErrors, timeout_s: float, topic: str | None = None
) -> Any:
    """The cluster's metadata (`list_topics`) from `client`, whose `error_cb` is `errors`;
    at a refusal at once, else after `timeout_s`, a KafkaConnectionError."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return client.list_topics(topic, timeout=min(1.0, timeout_s))
        except KafkaException as exc:
            failure = exc.args[0]
        client.poll(0)  # serves error_cb, where refusals are told
        if errors.refusal is not None:
            raise KafkaConnectionError(describe_refusal(errors.refusal, bootstrap), refused=True)
        if time.monotonic() >= deadline:
            reason = " ".join(failure.str().split()) if isinstance(failure, KafkaError) else failure
            raise KafkaConnectionError(
                f"cannot reach Kafka at {bootstrap} within {timeout_s:g} s ({reason})",
                refused=False,
            )


def describe_refusal(error: KafkaError, bootstrap: str) -> str:
    # librdkafka's text: "sasl_ssl://host:port/bootstrap: WHAT (after 12ms in state X)"
    text = " ".join(error.str().split())
    text = re.sub(r"^\S+://\S+: ", "", re.sub(r" \(after \d+ms in state \w+\)$", "", text))
    if error.code() != KafkaError._SSL:
        return (
            f"Kafka at {bootstrap} refused the login ({text}); "
            "check the username and password in sasl.jaas.config"
        )
    if "certificate verify failed" in text:
        return (
            f"Kafka at {bootstrap}: its TLS certificate is not trusted (certificate verify "
            "failed); check that ssl.truststore.location holds the CA that signed it and that "
            "it names the host the client connects to"
        )
    return f"TLS with Kafka at {bootstrap} failed ({text.split(': ', 1)[-1]})"
