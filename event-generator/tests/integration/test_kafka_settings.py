"""A mixed fleet against a real Kafka broker: the classes' device settings reach the
settings topic, keyed by pattern, before the first event."""

import json

import pytest
from iot_event_generator.cli import main

from .kafka_reading import read_topic

pytestmark = pytest.mark.kafka


def test_the_settings_records_arrive_keyed_by_pattern_before_the_first_event(
    kafka_bootstrap, topic_factory, fresh_topic, tmp_path
):
    settings_topic = topic_factory("settings", 1)
    code = main(
        ["--kafka.bootstrap.servers", kafka_bootstrap, "--topic", fresh_topic, "--quiet",
         "--settings.topic", settings_topic, "--duration.seconds", "1",
         "--failure.probability", "0",
         "--device-class", "meter:3600s:20", "--device-class", "tracker:500ms:30",
         "--truth-file", str(tmp_path / "truth.json")]
    )  # fmt: skip
    settings = read_topic(kafka_bootstrap, settings_topic)
    events = read_topic(kafka_bootstrap, fresh_topic)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert code == 0
    assert [(r.key(), json.loads(r.value())) for r in settings] == [
        (b"pattern:meter-*", {"inactivity-timeout": "3h"}),
        (b"pattern:tracker-*", {"inactivity-timeout": "30500ms"}),
    ]
    assert len(events) == truth["events"]["sent"] == 20 + 30 * 2
    # Stamped with the run's start: applying from the first event on, as the monitor
    # takes a setting from its record's time.
    (stamp,) = {r.timestamp()[1] for r in settings}
    assert stamp <= min(r.timestamp()[1] for r in events)
    assert stamp // 1000 <= truth["first-event-time"]


def test_a_missing_settings_topic_stops_before_any_event(kafka_bootstrap, fresh_topic, capsys):
    code = main(
        ["--kafka.bootstrap.servers", kafka_bootstrap, "--topic", fresh_topic, "--quiet",
         "--settings.topic", "no-such-settings-topic", "--device-class", "meter:1h:2"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert (
        err
        == f"error: settings topic 'no-such-settings-topic' does not exist at {kafka_bootstrap}\n"
    )
    assert read_topic(kafka_bootstrap, fresh_topic) == []
