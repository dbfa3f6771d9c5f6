import json

from iot_event_generator.sinks import Delivery
from iot_event_generator.summary import MAX_LISTED_FAILURES, summary_lines
from iot_event_generator.truth import DeviceFailure, RunReport


def report_with(failures: int, delivery: Delivery) -> RunReport:
    report = RunReport(7, "abcd0123", "file events.jsonl", "s", 500, events_sent=1200)
    report.elapsed_seconds = 2.0
    report.delivery = delivery
    report.failures = [
        DeviceFailure(f"device-{n:04d}", 1_800_000_060, 1_800_000_059) for n in range(failures)
    ]
    report.failures[0].recovered_at = 1_800_000_090
    report.failures[0].first_event_after_recovery = 1_800_000_091
    return report


def test_the_summary_names_counts_and_failed_devices():
    lines = summary_lines(report_with(2, Delivery(1200, 3, 1, ("broker gone (x3)",))), False)
    text = "\n".join(lines)
    assert "Sent 1,200 events in 2.0 s (600 events/s) to file events.jsonl." in text
    assert "Delivered 1,196 of 1,200 records; 3 failed; 1 not confirmed." in text
    assert "problem: broker gone (x3)" in text
    assert "Fleet: 500 devices; 2 failed during the run, 1 of them came back." in text
    assert (
        "device-0000 failed at 2027-01-15 08:01:00 UTC; "
        "last event at 2027-01-15 08:00:59 UTC (time 1800000059)" in text
    )
    assert "came back at 2027-01-15 08:01:30 UTC (first event time 1800000091)" in text
    assert (
        "device-0001 failed at 2027-01-15 08:01:00 UTC; "
        "last event at 2027-01-15 08:00:59 UTC (time 1800000059); did not come back" in text
    )
    assert "run with --seed 7" in text


def test_a_long_list_of_failures_is_cut_short_but_the_truth_keeps_all():
    report = report_with(MAX_LISTED_FAILURES + 5, Delivery(1200, 0, 0))
    lines = summary_lines(report, seed_given=True)
    assert lines[-1] == "  ... and 5 more"
    assert sum(line.startswith("  device-") for line in lines) == MAX_LISTED_FAILURES
    assert len(json.loads(json.dumps(report.to_json()))["failures"]) == MAX_LISTED_FAILURES + 5
