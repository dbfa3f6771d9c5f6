"""Paths, rendering and inspection helpers shared by the deployment tests."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"
CHARTS = ("kafka", "flink", "timescaledb", "vector", "grafana")
ENVS = ("dev", "qa", "prod")
SCHEMAS = Path(__file__).resolve().parent / "schemas"


def namespace(env: str) -> str:
    return f"device-monitor-{env}"


def helm_template(helm: Path, chart: str, env: str, *extra: str) -> list[dict[str, Any]]:
    """The chart's manifests for an environment, as the deploy scripts would install them."""
    out = run_ok(
        [
            str(helm),
            "template",
            chart,
            str(INFRA / chart),
            "--namespace",
            namespace(env),
            "--values",
            str(INFRA / chart / f"values-{env}.yaml"),
            *extra,
        ]
    )
    return [doc for doc in yaml.safe_load_all(out) if doc]


def run_ok(cmd: list[str], **kwargs: Any) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def pod_specs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod spec a manifest creates, named for messages."""
    kind, name = doc["kind"], doc["metadata"]["name"]
    spec = doc.get("spec", {})
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield f"{kind}/{name}", spec["template"]["spec"]
    elif kind == "CronJob":
        yield f"{kind}/{name}", spec["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "Pod":
        yield f"{kind}/{name}", spec
    elif kind == "FlinkDeployment":
        for where in ("", "jobManager", "taskManager"):
            holder = spec.get(where, {}) if where else spec
            if "podTemplate" in holder:
                yield f"{kind}/{name} {where or 'pod'}Template", holder["podTemplate"]["spec"]


def load_values(chart: str, env: str) -> dict[str, Any]:
    base = yaml.safe_load((INFRA / chart / "values.yaml").read_text())
    return merge(base, yaml.safe_load((INFRA / chart / f"values-{env}.yaml").read_text()) or {})


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


SECRET_KEY = re.compile(r"(pass(word|wd)?|secret|token|api[-_]?key|credential|jaas)", re.I)
# Keys that name where a secret comes from (existingSecret, secretName, tlsSecret, ...).
REFERENCE_KEY = re.compile(r"(secret(name|ref)?|existing\w*)$", re.I)
# Values that point at a secret instead of holding it: ${VAR} or $(VAR).
REFERENCE = re.compile(r"^(\$\{[^}]+\}|\$\([A-Z0-9_]+\))$")


def literal_secrets(node: Any, path: str = "") -> list[str]:
    """Where a rendered manifest or a values file holds a secret as a literal.

    Secrets may only be referenced: env entries by valueFrom, values by the name of
    an existing Secret, config files by environment placeholders. A Secret object
    with data counts as a literal (qa and prod create theirs beforehand).
    """
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("kind") == "Secret" and (node.get("data") or node.get("stringData")):
            found.append(f"{path} Secret/{node['metadata']['name']}")
        if _literal_env(node):
            found.append(f"{path}.{node['name']}")
        for key, value in node.items():
            where = f"{path}.{key}"
            scalar = isinstance(value, (str, int, float)) and not isinstance(value, bool)
            if scalar and SECRET_KEY.search(key) and not REFERENCE_KEY.search(key):
                if _is_literal(value):
                    found.append(where)
                continue
            found.extend(literal_secrets(value, where))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found.extend(literal_secrets(item, f"{path}[{index}]"))
    elif isinstance(node, str):
        found.extend(
            f"{path} holds {len(v)} characters after a secret key" for v in _secrets_in_text(node)
        )
    return found


def _literal_env(node: dict[str, Any]) -> bool:
    name = node.get("name")
    return (
        isinstance(name, str)
        and "value" in node
        and bool(SECRET_KEY.search(name))
        and _is_literal(node["value"])
    )


def _is_literal(value: Any) -> bool:
    if value in (None, ""):
        return False
    return not REFERENCE.match(str(value))


TEXT_SECRET = re.compile(
    r"(?i)(?P<key>[\w.-]*(password|passwd|secret|token)[\w.-]*)[ \t]*[=:][ \t]*"
    r"['\"]?(?P<value>[^\s'\"]+)"
)
URL_PASSWORD = re.compile(r"://[^/\s:@]+:(?P<value>[^@\s]+)@")


def _secrets_in_text(text: str) -> list[str]:
    """Literal secrets inside a config file carried in a ConfigMap: `key=value`,
    `key: value` or a URL with user:password@ whose value is not a placeholder."""
    hits = [m.group("value") for m in TEXT_SECRET.finditer(text)]
    hits += [m.group("value") for m in URL_PASSWORD.finditer(text)]
    return [value for value in hits if not _placeholder(value)]


def _placeholder(value: str) -> bool:
    # ${VAR}, $(cat file), $VAR, ?(required-variable message), a file path, a
    # `${dir:...}` config provider lookup, a psql variable such as :'name'.
    return value.startswith(("$", "?", "/", ":", "%", "(", "[", "{", "<")) or value.lower() in (
        "none",
        "true",
        "false",
        "null",
    )
