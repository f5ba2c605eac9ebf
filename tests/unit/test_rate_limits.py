"""The shared cool-down after a 429 (integrations/rate_limits.py), on a fake clock."""

from __future__ import annotations

import pytest

from integrations.rate_limits import Cooldowns, Limited, rest_method
from swarm.errors import RetryLater

UPDATE = Limited("slack", "*", "chat.update")


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def cooldowns(time_) -> Cooldowns:
    return Cooldowns(clock=time_.clock, sleep=time_.sleep)


def test_a_method_without_a_429_is_called_at_once(cooldowns, time_):
    cooldowns.wait(UPDATE, "Slack chat.update")
    assert time_.slept == []


def test_a_long_cool_down_refuses_the_call_with_what_remains(cooldowns, time_):
    cooldowns.start(UPDATE, 30)
    time_.now += 10
    with pytest.raises(RetryLater) as refused:
        cooldowns.wait(UPDATE, "Slack chat.update")
    assert refused.value.retry_after == pytest.approx(20)
    assert "Slack chat.update: rate limited" in refused.value.reason and time_.slept == []


def test_a_short_remainder_is_waited_out_and_then_the_call_goes(cooldowns, time_):
    cooldowns.start(UPDATE, 1.5)
    cooldowns.wait(UPDATE, "Slack chat.update")
    assert time_.slept == [pytest.approx(1.5)] and cooldowns.remaining(UPDATE) == 0


def test_short_cool_downs_one_after_another_are_waited_out_up_to_a_limit(cooldowns, time_):
    def another_429_during(seconds: float) -> None:  # a call of another workflow got a new 429 meanwhile
        time_.now += seconds
        cooldowns.start(UPDATE, 1.5)

    cooldowns._sleep = another_429_during
    cooldowns.start(UPDATE, 1.5)
    with pytest.raises(RetryLater):
        cooldowns.wait(UPDATE, "Slack chat.update")
    assert 10 - 1.5 < time_.now - 100 <= 10


def test_the_cool_down_ends_at_retry_after(cooldowns, time_):
    cooldowns.start(UPDATE, 30)
    time_.now += 30
    cooldowns.wait(UPDATE, "Slack chat.update", at_most=0)


def test_only_the_limited_method_of_the_limited_account_waits(cooldowns):
    cooldowns.start(UPDATE, 30)
    for other in (Limited("slack", "*", "chat.postMessage"), Limited("jira", "*", "chat.update"),
                  Limited("slack", "other", "chat.update")):
        cooldowns.wait(other, "another method", at_most=0)


def test_a_later_shorter_429_does_not_shorten_the_window(cooldowns, time_):
    cooldowns.start(UPDATE, 30)
    cooldowns.start(UPDATE, 1)
    assert cooldowns.remaining(UPDATE) == pytest.approx(30)


def test_a_429_without_retry_after_starts_no_cool_down(cooldowns):
    cooldowns.start(UPDATE, None)
    assert cooldowns.remaining(UPDATE) == 0


def test_rest_methods_are_named_without_their_ids():
    assert rest_method("get", "https://x.my.salesforce.com/services/data/v59.0/sobjects/Case/500000000000001AAA?fields=Status") \
        == "GET services/data/{}/sobjects/Case/{}"
    assert rest_method("GET", "https://x/services/data/v59.0/query/?q=SELECT+Id") == "GET services/data/{}/query"
