"""One run from validated settings to the summary: open the destination, run with a
progress line, flush, write the truth file, report."""

from __future__ import annotations

import math
import time

from rich.console import Console

from iot_event_generator.device_settings import class_settings, write_settings_file
from iot_event_generator.kafka_sink import KafkaSink, publish_settings
from iot_event_generator.pacing import planned_start
from iot_event_generator.progress import ProgressLine
from iot_event_generator.runner import run
from iot_event_generator.settings import STDOUT, GeneratorSettings
from iot_event_generator.sinks import FileSink, Sink, SinkError
from iot_event_generator.stopping import StopRequest
from iot_event_generator.summary import summary_lines
from iot_event_generator.truth import RunReport

EXIT_OK, EXIT_FAILED = 0, 1


def open_sink(settings: GeneratorSettings) -> Sink:
    if settings.output is not None:
        return FileSink(settings.output)
    return KafkaSink(
        settings.bootstrap_servers,
        settings.topic,
        settings.kafka_properties,
        settings.connect_timeout_seconds,
    )


def write_device_settings(settings: GeneratorSettings, start: float) -> list[str]:
    """Write the classes' settings where asked, applying from `start` (epoch seconds,
    the first event's moment); return where they went. SinkError if they could not be."""
    records = class_settings(settings.device_classes)
    written = []
    if settings.settings_topic is not None:
        publish_settings(
            settings.bootstrap_servers,
            settings.settings_topic,
            settings.kafka_properties,
            settings.connect_timeout_seconds,
            [record.kafka_record() for record in records],
            # Kafka timestamps are epoch milliseconds whatever the events' unit.
            math.floor(start * 1000),
        )
        written.append(f"Kafka topic '{settings.settings_topic}' at {settings.bootstrap_servers}")
    if settings.settings_file is not None:
        try:
            write_settings_file(
                settings.settings_file, records, settings.time_unit.from_epoch_seconds(start)
            )
        except OSError as exc:
            raise SinkError(f"cannot write {settings.settings_file}: {exc.strerror}") from None
        written.append(f"file {settings.settings_file}")
    return written


def execute(settings: GeneratorSettings) -> int:
    # Events may go to standard output; everything for the operator goes elsewhere then.
    console = Console(stderr=settings.output == STDOUT, highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        sink = open_sink(settings)
    except SinkError as exc:
        errors.print(f"error: {exc}", markup=False)
        return EXIT_FAILED
    # The device settings go out before the first event, applying from its moment: a
    # --no-sleep run starts there; a live run starts once they are written, a little later.
    start = planned_start(settings, time.time())
    try:
        settings_written = write_device_settings(settings, start)
    except SinkError as exc:
        sink.close()
        errors.print(f"error: {exc}", markup=False)
        return EXIT_FAILED
    show_progress = not settings.quiet and console.is_terminal
    with StopRequest() as stop, ProgressLine(console, show_progress) as progress:
        report = run(settings, sink, should_stop=stop, on_progress=progress.update, start=start)
    report.settings_written = settings_written
    if show_progress and report.events_sent and not settings.output:
        console.print("Waiting for Kafka to acknowledge the last records...", markup=False)
    report.delivery = sink.close()
    # The truth file first: it matters more than the summary, whose reader may be gone
    # (piped into `head`, say; rich then ends the program with exit code 1).
    truth_problem = write_truth(report, settings.truth_file)
    lines = summary_lines(report, seed_given=settings.seed is not None)
    if settings.truth_file and not truth_problem:
        lines.append(f"Ground truth written to {settings.truth_file}.")
    for line in lines:
        console.print(line, markup=False)
    if truth_problem:
        errors.print(f"error: {truth_problem}", markup=False)
        return EXIT_FAILED
    if (report.stopped_early and not stop.requested) or not report.delivery.all_delivered:
        return EXIT_FAILED
    # Stopped by a signal: the shell's convention, 128 + its number (130 for Ctrl-C).
    return 128 + stop.signal_number if stop.signal_number else EXIT_OK


def write_truth(report: RunReport, path: str | None) -> str | None:
    """Write the truth file, if one is asked for; return what went wrong, if anything."""
    if path is None:
        return None
    try:
        report.write_json(path)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror}"
    return None
