"""The end-of-run summary, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime

from iot_event_generator.settings import TimeUnit
from iot_event_generator.truth import DeviceFailure, RunReport

MAX_LISTED_FAILURES = 20


def clock_time(value: int | None, unit: TimeUnit) -> str:
    if value is None:
        return "never"
    seconds = value / 1000 if unit is TimeUnit.MILLISECONDS else value
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def failure_line(failure: DeviceFailure, unit: TimeUnit) -> str:
    last = failure.last_event_time
    line = (
        f"  {failure.device_id} failed at {clock_time(failure.failed_at, unit)}; "
        f"last event at {clock_time(last, unit)} (time {last})"
    )
    if failure.recovered_at is None:
        return line + "; did not come back"
    first = failure.first_event_after_recovery
    line += f"; came back at {clock_time(failure.recovered_at, unit)}"
    return line + (f" (first event time {first})" if first is not None else " (no event since)")


def summary_lines(report: RunReport, seed_given: bool) -> list[str]:
    unit = TimeUnit(report.time_unit)
    delivery = report.delivery
    lines = [
        f"Sent {report.events_sent:,} events in {report.elapsed_seconds:,.1f} s "
        f"({report.events_per_second:,.0f} events/s) to {report.destination}.",
    ]
    if report.malformed_sent:
        cases = ", ".join(
            f"{name} {count}" for name, count in sorted(report.malformed_sent.items())
        )
        lines.append(
            f"Also sent {sum(report.malformed_sent.values()):,} malformed records: {cases}."
        )
    lines.append(
        f"Delivered {delivery.delivered:,} of {delivery.written:,} records; "
        f"{delivery.failed:,} failed; {delivery.unconfirmed:,} not confirmed."
    )
    lines += [f"  problem: {problem}" for problem in delivery.problems]
    if report.stopped_early:
        lines.append(f"The run ended early: {report.stopped_early}.")
    if report.behind_seconds >= 1:
        lines.append(
            f"The generator fell up to {report.behind_seconds:,.1f} s behind its schedule "
            "(it could not send as fast as asked)."
        )
    if report.device_classes:
        lines.append(
            "Classes: "
            + ", ".join(
                f"{c.name} {c.count:,} every {c.interval_seconds:,g} s"
                for c in report.device_classes
            )
            + "."
        )
    if report.settings_written:
        lines.append(
            f"Device settings ({len(report.device_classes)} inactivity timeouts) written to "
            + " and ".join(report.settings_written)
            + "."
        )
    lines.append(
        f"Fleet: {report.num_devices:,} devices; {len(report.failures):,} failed during the run, "
        f"{len(report.recovered):,} of them came back."
    )
    lines += [failure_line(f, unit) for f in report.failures[:MAX_LISTED_FAILURES]]
    if len(report.failures) > MAX_LISTED_FAILURES:
        lines.append(f"  ... and {len(report.failures) - MAX_LISTED_FAILURES:,} more")
    if not seed_given:
        lines.append(f"Seed {report.seed}: run with --seed {report.seed} to repeat this fleet.")
    return lines
