from bot.pacing import ChatPacer


def test_private_chat_interval() -> None:
    pacer = ChatPacer(interval=1.0, per_minute=None)
    assert pacer.delay(now=100.0) == 0
    pacer.record(now=100.0)
    assert pacer.delay(now=100.4) == pacer.delay(now=100.4) and round(pacer.delay(now=100.4), 3) == 0.6
    assert pacer.delay(now=101.0) == 0


def test_group_window_of_twenty_per_minute() -> None:
    pacer = ChatPacer(interval=1.0, per_minute=20)
    for i in range(20):
        now = 100.0 + i
        assert pacer.delay(now=now) == 0
        pacer.record(now=now)
    assert round(pacer.delay(now=120.0), 3) == 40.0  # the first call leaves the window at 160
    assert pacer.delay(now=160.0) == 0


def test_retry_after_ban_wins() -> None:
    pacer = ChatPacer(interval=1.0, per_minute=None)
    pacer.ban(5, now=10.0)
    assert pacer.delay(now=12.0) > 3.0
    assert pacer.delay(now=15.1) == 0
