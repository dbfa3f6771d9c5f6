"""The commands' flags, made from the settings fields: a command names the settings it
takes and receives them as one validated settings object."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, get_origin

import typer
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from iot_monitor.settings import (
    MonitorSettings,
    describe_errors,
    extra_env,
    flag_of,
    is_duration,
)

Command = Callable[..., None]


def env_names(field: FieldInfo) -> list[str]:
    """MONITOR_<FLAG>, e.g. MONITOR_CHECK_INTERVAL for --check-interval, then any extras."""
    own = "MONITOR_" + re.sub(r"[.\-]", "_", flag_of(field).lstrip("-")).upper()
    return [own, *extra_env(field)]


def _command_default(field: FieldInfo) -> Any:
    """The default as the command line shows and takes it; None when there is none to show."""
    return None if field.default_factory else field.default


def _command_type(field: FieldInfo) -> Any:
    if is_duration(field):
        return str
    if get_origin(field.annotation) is dict:
        return list[str] | None  # a repeatable KEY=VALUE flag
    return field.annotation


def _parameter(name: str, default: Any) -> inspect.Parameter:
    field = MonitorSettings.model_fields[name]
    option = typer.Option(
        _command_default(field) if default is ... else default,
        flag_of(field),
        envvar=env_names(field),
        help=field.description,
    )
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=_command_type(field)
    )


def takes_settings(*fields: str, **defaults: Any) -> Callable[[Command], Command]:
    """Give a command the flags of these settings fields, in this order, before its own
    parameters; `defaults` overrides a field's default for this command. The command
    is called with the validated settings as its `settings` argument."""
    unknown = set(defaults) - set(fields)
    assert not unknown, f"defaults for settings the command does not take: {unknown}"

    def decorate(command: Command) -> Command:
        own = [
            parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for parameter in inspect.signature(command, eval_str=True).parameters.values()
            if parameter.name != "settings"
        ]
        clash = {parameter.name for parameter in own} & set(fields)
        assert not clash, f"{command.__name__} has parameters named like settings: {clash}"
        generated = [_parameter(name, defaults.get(name, ...)) for name in fields]

        def with_settings(**values: Any) -> None:
            settings = build_settings(**{name: values.pop(name) for name in fields})
            command(settings=settings, **values)

        with_settings.__name__ = command.__name__
        with_settings.__qualname__ = command.__qualname__
        with_settings.__doc__ = command.__doc__
        with_settings.__module__ = command.__module__
        with_settings.__signature__ = inspect.Signature([*generated, *own])  # type: ignore[attr-defined]
        return with_settings

    return decorate


def build_settings(**values: Any) -> MonitorSettings:
    """Settings from the flags' raw values (None where a flag was not given), or a clean
    exit naming each bad flag."""
    try:
        return MonitorSettings(**{name: v for name, v in values.items() if v is not None})
    except ValidationError as exc:
        for line in describe_errors(exc):
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(code=2) from None
