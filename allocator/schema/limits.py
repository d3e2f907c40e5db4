"""The largest values an instance may hold, and why: past these, a number is a typo or an
attack, and the model's integer arithmetic (efforts in hundredths, weights in thousandths,
summed over every account and CSM) could overflow CP-SAT's 64-bit coefficients.

Every bound is far above any real book: a trillion in ARR, a hundred thousand effort units
per CSM.
"""

from __future__ import annotations

MAX_MONEY = 1e12
"""ARR, segment ARR bounds, a CSM's annual cost (a trillion in the instance's currency)."""

MAX_EFFORT = 1e5
"""A capacity, an explicit effort, a segment's base effort."""

MAX_MULTIPLIER = 100.0
"""A lifecycle, contract or health-band effort multiplier."""

MAX_WEIGHT = 1e4
"""An objective weight, the cost of one move."""

MAX_PAIR_COST = 1e6
"""The size of a pair's preference cost, either sign."""

MAX_SHARE = 10.0
"""A balance band or tolerance, a cost/ARR target (1.0 is 100%)."""

MAX_COUNT = 10_000_000
"""An account cap, a move cap, renewals per window."""

MAX_FREEZE_DAYS = 3660
"""The renewal freeze: ten years."""
