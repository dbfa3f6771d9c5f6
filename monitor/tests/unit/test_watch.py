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
