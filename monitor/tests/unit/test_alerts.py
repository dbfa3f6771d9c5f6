from __future__ import annotations

from pathlib import Path

import pytest
from iot_monitor.alerts import alert_body, replay_line
from iot_monitor.checkpoints import NoCheckpointError, resolve_restore_path
from iot_monitor.timeunit import TimeUnit


def test_the_alert_body_is_exactly_the_two_fields() -> None:
    assert alert_body("d456", 1_234_567_890_000, TimeUnit.SECONDS) == (
        '{"device-id": "d456", "latest-event-time": 1234567890}'
    )


def test_the_latest_time_is_echoed_in_the_unit_it_came_in() -> None:
    assert '"latest-event-time": 1234567890123}' in alert_body(
        "d", 1_234_567_890_123, TimeUnit.MILLISECONDS
    )
    assert '"latest-event-time": 1234567890.5}' in alert_body(
        "d", 1_234_567_890_500, TimeUnit.SECONDS
    )


def test_non_ascii_device_ids_stay_readable_utf8() -> None:
    body = alert_body("capteur-été", 1000, TimeUnit.SECONDS)
    assert "capteur-été" in body
    body.encode("utf-8")


def test_replay_lines_carry_the_check_time() -> None:
    assert replay_line(90_000, "a", 1_000, TimeUnit.SECONDS) == (
        '{"check-time": 90, "device-id": "a", "latest-event-time": 1}'
    )


def test_restore_picks_the_newest_checkpoint_in_a_folder(tmp_path: Path) -> None:
    for name in ("job1/chk-3", "job1/chk-7", "job2/chk-1"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "_metadata").write_text("x")
    (tmp_path / "job2/chk-2").mkdir()  # unfinished: no _metadata
    assert resolve_restore_path(tmp_path.as_uri()) == (tmp_path / "job2/chk-1").as_uri()


def test_restore_takes_a_savepoint_as_given(tmp_path: Path) -> None:
    (tmp_path / "_metadata").write_text("x")
    assert resolve_restore_path(str(tmp_path)) == str(tmp_path)
    assert resolve_restore_path("s3://bucket/savepoint-1") == "s3://bucket/savepoint-1"


def test_restore_from_a_folder_without_checkpoints_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NoCheckpointError, match="no checkpoint"):
        resolve_restore_path(str(tmp_path))


def test_the_watch_board_counts_alerts_per_device() -> None:
    from iot_monitor.watch import AlertBoard

    board = AlertBoard(TimeUnit.SECONDS)
    line = board.add_alert(b'{"device-id": "d1", "latest-event-time": 1000}', 1_090_000)
    board.add_alert(b'{"device-id": "d1", "latest-event-time": 1000}', 1_120_000)
    board.add_alert(b'{"device-id": "d2", "latest-event-time": 1010}', 1_120_000)
    assert line == "ALERT d1: silent since 00:16:40 (90 s at the 00:18:10 check)"
    assert board.alerts == 3
    assert board.devices["d1"].alerts == 2
    assert board.devices["d1"].last_check_ms == 1_120_000
    assert board.table().row_count == 2


def test_resume_latest_finds_the_newest_checkpoint_or_starts_fresh(tmp_path: Path) -> None:
    from iot_monitor.flink_env import restore_path
    from iot_monitor.settings import MonitorSettings

    settings = MonitorSettings(checkpoint_dir=tmp_path.as_uri(), resume_latest=True)
    assert restore_path(settings) is None  # nothing yet: a fresh start, not an error
    (tmp_path / "job/chk-4").mkdir(parents=True)
    (tmp_path / "job/chk-4/_metadata").write_text("x")
    assert restore_path(settings) == (tmp_path / "job/chk-4").as_uri()
    assert restore_path(MonitorSettings(checkpoint_dir=tmp_path.as_uri())) is None
