"""How many examples the fuzzer sent to each operation in this run, for the run's summary."""

from __future__ import annotations

from collections import Counter

TRIED: Counter[str] = Counter()  # "POST /v1/payments" -> examples sent
# Operations with no parameters and no body: one request is all there is to vary, so their count is every
# distinct request (its method, and the methods the coverage phase tries instead), not a budget cut short.
TAKES_NO_INPUT: set[str] = set()
