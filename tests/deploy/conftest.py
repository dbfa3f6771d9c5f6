"""Fixtures of the deployment tests: the tools (installed on first use by
scripts/install-deploy-tools.sh, cached under ~/go/bin) and rendered charts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from iot_monitor import cli
from iot_monitor.settings import MonitorSettings, flag_of

from tests.deploy.support import ROOT, helm_template

KUBERNETES_VERSION = "1.33.0"


@pytest.fixture(scope="session")
def tools() -> dict[str, Path]:
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-deploy-tools.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"scripts/install-deploy-tools.sh failed:\n{done.stderr}"
    gobin = Path(done.stdout.strip().splitlines()[-1])
    shellcheck = shutil.which("shellcheck") or str(ROOT / ".venv" / "bin" / "shellcheck")
    found = {
        "helm": gobin / "helm",
        "kubeconform": gobin / "kubeconform",
        "shellcheck": Path(shellcheck),
    }
    for name, path in found.items():
        assert os.access(path, os.X_OK), f"{name} is not installed at {path}"
    return found


@pytest.fixture
def monitor_settings(monkeypatch) -> Callable[[list[str]], MonitorSettings]:
    """The settings `iot-monitor run ARGS` would start the job with, parsed by the
    command line itself; no job (and no JVM) is started."""
    for name in list(os.environ):
        if name.startswith("MONITOR_") or name == "KAFKA_BOOTSTRAP_SERVERS":
            monkeypatch.delenv(name)
    started: list[MonitorSettings] = []
    for module, function in (("iot_monitor.job", "run_job"), ("iot_monitor.submit", "submit_job")):
        fake = types.ModuleType(module)
        setattr(fake, function, lambda settings: started.append(settings) or "0" * 32)
        monkeypatch.setitem(sys.modules, module, fake)
    monkeypatch.setattr(cli, "_configure_logging", lambda: None)
    known = {flag_of(field) for field in MonitorSettings.model_fields.values()}

    def parsed(args: list[str]) -> MonitorSettings:
        assert {arg for arg in args if arg.startswith("--")} <= known
        assert cli.main(["run", *args]) == 0, f"iot-monitor run refused {args}"
        return started.pop()

    return parsed


@pytest.fixture(scope="session")
def render(tools: dict[str, Path]) -> Callable[[str, str], list[dict[str, Any]]]:
    cache: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def rendered(chart: str, env: str) -> list[dict[str, Any]]:
        if (chart, env) not in cache:
            cache[chart, env] = helm_template(tools["helm"], chart, env)
        return cache[chart, env]

    return rendered


@pytest.fixture(scope="session")
def kubernetes_schemas() -> Path:
    """Kubernetes JSON schemas in kubeconform's layout, made offline from the ones the
    kubernetes-validate package ships (kubeconform would download them otherwise).
    Built once into the user's cache, keyed by the package version."""
    import kubernetes_validate
    from kubernetes_validate.version import __version__

    source = (
        Path(kubernetes_validate.__file__).parent
        / "kubernetes-json-schema"
        / f"v{KUBERNETES_VERSION}-local-strict"
    )
    assert source.is_dir(), f"kubernetes-validate has no schemas for {KUBERNETES_VERSION}"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    base = cache / "iot-monitor" / f"kubeconform-schemas-{__version__}"
    out = base / f"v{KUBERNETES_VERSION}-standalone-strict"
    if not out.is_dir():
        definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
        base.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=base))
        for path in source.glob("*.json"):
            if not path.name.startswith("_"):
                schema = json.loads(path.read_text())
                (building / path.name).write_text(json.dumps(standalone(schema, definitions)))
        try:
            building.rename(out)
        except OSError:
            shutil.rmtree(building)  # built meanwhile by another run
    return base


def standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The schema with the definitions it references embedded, so that it resolves
    without the network."""
    prefixes = ("/api/_definitions.json#/$defs/", "#/$defs/")
    needed: dict[str, Any] = {}

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith(prefixes):
                    name = value.rsplit("/", 1)[-1]
                    if name not in needed:
                        needed[name] = None
                        needed[name] = rewrite(definitions[name])
                    out[key] = "#/$defs/" + name
                else:
                    out[key] = rewrite(value)
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    body = rewrite({k: v for k, v in schema.items() if k != "$id"})
    body["$defs"] = needed
    return body
