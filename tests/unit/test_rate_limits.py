"""The arithmetic behind the 429s (the counting itself, in PostgreSQL, is in
tests/integration/test_rate_limits.py)."""

from __future__ import annotations

from api.rate_limits import retry_after, sign_in_delay
from procurement.rate_limits import Count


def test_sign_in_delays_double_up_to_the_cap() -> None:
    assert [sign_in_delay(n, 900) for n in range(1, 12)] == [
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        900,
        900,
    ]
    assert sign_in_delay(10**9, 900) == 900  # no huge powers of two
    assert sign_in_delay(5, 0) == 0  # 0 turns the delays off


def test_retry_after_a_full_window_counts_to_the_next_one() -> None:
    # 60 s windows; 3 allowed; the current window (started at 960) is full at 1000.
    assert retry_after(3, 60, Count(admitted=False, current=3, previous=0), 1000.0) == 20
    # Twice over: it must also slide half of this window out of the next.
    assert retry_after(3, 60, Count(admitted=False, current=6, previous=0), 1000.0) == 50


def test_retry_after_while_the_previous_window_weighs_counts_its_sliding_out() -> None:
    # 1 hit now, 4 in the previous window, 3 allowed: room once fewer than 2 of the previous
    # window's 4 remain, i.e. once half of it has slid out: 30 s into this one.
    assert retry_after(3, 60, Count(admitted=False, current=1, previous=4), 970.0) == 20
    assert retry_after(3, 60, Count(admitted=False, current=1, previous=4), 989.9) == 1
