"""Finding what to resume from (`checkpoints`, `flink_env.restore_path`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from iot_monitor.checkpoints import NoCheckpointError, resolve_restore_path


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


def test_resume_latest_finds_the_newest_checkpoint_or_starts_fresh(tmp_path: Path) -> None:
    from iot_monitor.flink_env import restore_path
    from iot_monitor.settings import MonitorSettings

    settings = MonitorSettings(checkpoint_dir=tmp_path.as_uri(), resume_latest=True)
    assert restore_path(settings) is None  # nothing yet: a fresh start, not an error
    (tmp_path / "job/chk-4").mkdir(parents=True)
    (tmp_path / "job/chk-4/_metadata").write_text("x")
    assert restore_path(settings) == (tmp_path / "job/chk-4").as_uri()
    assert restore_path(MonitorSettings(checkpoint_dir=tmp_path.as_uri())) is None
