"""One run from validated settings to the summary: open the destination, run with a
progress line, flush, write the truth file, report."""

from __future__ import annotations

from rich.console import Console

from iot_event_generator.kafka_sink import KafkaSink
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


def execute(settings: GeneratorSettings) -> int:
    # Events may go to standard output; everything for the operator goes elsewhere then.
    console = Console(stderr=settings.output == STDOUT, highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        sink = open_sink(settings)
    except SinkError as exc:
        errors.print(f"error: {exc}", markup=False)
        return EXIT_FAILED
    show_progress = not settings.quiet and console.is_terminal
    with StopRequest() as stop, ProgressLine(console, show_progress) as progress:
        report = run(settings, sink, should_stop=stop, on_progress=progress.update)
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
