"""How many examples the fuzzer sent to each operation in this run, for the run's summary."""

from __future__ import annotations

from collections import Counter

TRIED: Counter[str] = Counter()  # "POST /v1/payments" -> examples sent
