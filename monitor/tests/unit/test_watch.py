"""The live board of `iot-monitor watch`."""

from __future__ import annotations

from iot_monitor.timeunit import TimeUnit


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


def test_a_device_that_comes_back_leaves_the_table_and_says_after_how_long() -> None:
    from iot_monitor.watch import AlertBoard

    board = AlertBoard(TimeUnit.SECONDS)
    board.add_alert(b'{"device-id": "d1", "latest-event-time": 1000}', 1_090_000)
    board.add_alert(b'{"device-id": "d2", "latest-event-time": 1010}', 1_090_000)
    assert (
        board.add_status(b'{"device-id": "d1", "status": "silent", "since": 1000, "at": 1090}')
        is None
    )
    line = board.add_status(b'{"device-id": "d1", "status": "back", "since": 1000, "at": 1125}')
    assert line == "BACK d1 at 00:18:45, after 125 s"
    assert set(board.devices) == {"d2"}
    assert board.returns == 1
    assert board.table().row_count == 1
    forgotten = b'{"device-id": "d2", "status": "forgotten", "since": 1010, "at": 87410}'
    assert board.add_status(forgotten) == "FORGOTTEN d2: silent since 00:16:50"
    idle = board.add_status(b'{"monitor": "iot-monitor", "status": "input-idle", "at": 1200}')
    assert idle == "INPUT IDLE at 00:20:00"
    assert board.devices == {}


def test_an_expected_device_that_never_sent_gets_a_line_of_its_own() -> None:
    from iot_monitor.watch import AlertBoard

    board = AlertBoard(TimeUnit.SECONDS)
    line = board.add_status(
        b'{"device-id": "g1", "status": "never-seen", "since": 1000, "at": 1080}'
    )
    assert line == "NEVER SEEN g1: registered at 00:16:40"
