from govplatform.core.jobs.queue import backoff


def test_backoff_grows_exponentially_with_jitter_and_stays_under_the_cap() -> None:
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (4, 16)]:
        delays = {backoff(attempt, 2, 3600).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1, "jitter spreads retries out"
    assert backoff(30, 2, 60).total_seconds() <= 60
