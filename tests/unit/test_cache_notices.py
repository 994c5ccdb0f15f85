"""Core's forget notices as one process sees them: caches subscribe by topic and are told what to forget."""

from __future__ import annotations

import gc

from govplatform.core.cache_notices import Notices


class Forgetting:
    def __init__(self) -> None:
        self.told: list[str | None] = []

    def forget(self, subject: str | None) -> None:
        self.told.append(subject)


def test_a_notice_reaches_the_subscribers_of_its_topic_only() -> None:
    notices, keys, settings = Notices(), Forgetting(), Forgetting()
    notices.subscribe("api_keys", keys.forget)
    notices.subscribe("pay_settings", settings.forget)
    notices.deliver("api_keys", "service-1")
    assert keys.told == ["service-1"]
    assert settings.told == []


def test_forgetting_everything_tells_every_subscriber_with_no_subject() -> None:
    notices, keys, settings = Notices(), Forgetting(), Forgetting()
    notices.subscribe("api_keys", keys.forget)
    notices.subscribe("pay_settings", settings.forget)
    notices.forget_everything()
    assert keys.told == [None]
    assert settings.told == [None]


def test_a_cache_that_is_dropped_is_no_longer_told() -> None:
    notices, kept = Notices(), Forgetting()
    dropped = Forgetting()
    notices.subscribe("api_keys", kept.forget)
    notices.subscribe("api_keys", dropped.forget)
    del dropped
    gc.collect()
    notices.deliver("api_keys", "service-1")
    assert kept.told == ["service-1"]
    assert len(notices._subscribers["api_keys"]) == 1


def test_a_plain_function_is_held_for_as_long_as_the_notices() -> None:
    notices, told = Notices(), []
    notices.subscribe("api_keys", told.append)  # a builtin bound method: held as it is
    notices.subscribe("api_keys", lambda subject: told.append(f"again {subject}"))
    gc.collect()
    notices.deliver("api_keys", "s")
    assert told == ["s", "again s"]


def test_on_its_own_it_is_always_fresh() -> None:
    assert Notices().fresh() is True
