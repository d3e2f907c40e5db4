"""Time limits as values: a deadline on the monotonic clock, and a stopwatch.

Every time limit in the package is a `Deadline`: a block's share, a search step, the
companion's margin. Code asks how much time is `left()` instead of subtracting clock
readings by hand, and a share of what is left is a new, earlier deadline.

Once a stop signal has arrived (`allocator.interrupts`), every deadline reads as expired:
each step then ends as it would at its time limit, keeping its best plan.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from allocator.interrupts import stop_requested


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock (`time.monotonic()` seconds)."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    @classmethod
    def never(cls) -> Deadline:
        return cls(math.inf)

    def left(self) -> float:
        """Seconds until the deadline, never negative; 0 once the run was stopped."""
        if stop_requested():
            return 0.0
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return stop_requested() or time.monotonic() >= self.at

    def within(self, seconds: float) -> Deadline:
        """The earlier of this deadline and `seconds` from now."""
        return Deadline(min(self.at, time.monotonic() + seconds))

    def share(self, fraction: float) -> Deadline:
        """`fraction` of the time left, from now."""
        return Deadline.after(self.left() * fraction)

    def before(self, seconds: float) -> Deadline:
        """This deadline moved `seconds` earlier (time kept back at the end)."""
        return Deadline(self.at - seconds)


@dataclass(frozen=True)
class Stopwatch:
    """Seconds since it was started."""

    started: float

    @classmethod
    def start(cls) -> Stopwatch:
        return cls(time.monotonic())

    def seconds(self) -> float:
        return time.monotonic() - self.started
