"""A MIP companion for one block: HiGHS on the same rules, in a child process.

CP-SAT's bound is weak on assignment models whose knapsacks are tight (the classic GAP)
and on blocks of tens of thousands of pairs, where HiGHS's LP relaxation and cuts prove
more. The companion runs beside CP-SAT (or the neighbourhood search) for the block's
time; the block keeps the better plan and the higher of the two proven bounds, and
whichever solver proves optimality first stops the other. HiGHS's MIP search is one
thread, so on 2 cores the pair uses both. Blocks above `MIP_LIMIT` pairs get HiGHS's LP
relaxation only: a bound, and no plan; where the books hold a few large accounts and the
block is small enough, the Lagrangian bound (`lagrangian_bound.py`) replaces that LP, as
it is stronger there (bench-L's 1,285-account block: 382.6 in 18 s against 303.3).
Blocks too big even for the LP get the counts model (`class_model.py`): a bound, and a
plan that the block takes if it beats the neighbourhood search's.

A process, not a thread: HiGHS through MathOpt ignores the solve interrupter (measured: a
stop request changed nothing on a 120 s solve), so the only prompt stop, for Ctrl-C or
once CP-SAT has proven the block, is to end the process. It is forked, so it starts from
the prepared data without copying it; where fork is unavailable there is no companion.

The model is `mip_baseline.build_mip`, which mirrors the CP-SAT rules one by one; the
plan it returns is re-checked before it is used.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from allocator.checker.block_objective import Plan, block_objective
from allocator.facts.blocks import Block
from allocator.bounds.counts import modelled, solve_counts
from allocator.bounds.lagrangian import lagrangian_bound
from allocator.model.mip import (
    MipResult,
    build_mip,
    highs_available,
    plan_objective,
    solve_block_mip,
)
from allocator.facts.derived import Facts

# Up to this many assignment variables HiGHS solves the block as a MIP (plan and bound).
# Above it, only the LP relaxation (a bound): on bench-M's 92k-pair block HiGHS's MIP
# overran a 20 s limit by 14 s with nothing to show, while its LP took 2.6 s and gave a
# bound of 385.4 against CP-SAT's 188.
MIP_LIMIT = 25_000
# Above this, even the LP takes too long to build in Python (bench-L's blocks have
# millions of pairs).
COMPANION_LIMIT = 400_000
# Building the model in Python: about 1.2 s for 92k pairs on bench-M.
BUILD_SECONDS_PER_VARIABLE = 1.5e-5
# The Lagrangian bound stops this long before the companion's time is up, to report it.
LAGRANGIAN_MARGIN = 0.5


def wanted(variables: int, workers: int, deterministic: bool, forced: bool,
           time_limit: float = float("inf"), counts: bool = False) -> bool:
    """Whether a block gets a companion: only with a second thread to run it on, not when
    the run must be reproducible (two solvers racing end in timing-dependent ways), not
    for pinned (what-if) solves, and only when building the model leaves time to solve.
    `counts`: the block is above `COMPANION_LIMIT` but its counts model applies."""
    small = 0 < variables <= COMPANION_LIMIT
    return (workers > 1 and not deterministic and not forced
            and (counts or (small and variables * BUILD_SECONDS_PER_VARIABLE
                            < 0.3 * time_limit))
            and "fork" in mp.get_all_start_methods() and highs_available())


def uses_counts(facts: Facts, block: Block, variables: int) -> bool:
    """Blocks too big for HiGHS's MIP get the counts model instead of the LP relaxation or
    the Lagrangian bound, where it applies (`class_model.modelled`)."""
    return variables > MIP_LIMIT and modelled(facts, block)


def _child(facts: Facts, block: Block, time_limit: float, relax: bool,
           upper: float | None, start: Plan | None, conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    started = time.monotonic()
    try:
        result: MipResult | None = None
        if start is not None:  # the bound arrives first, in case the plan runs late
            result = solve_counts(facts, block, time_limit, start,
                                  on_bound=lambda first: conn.send((False, first)),
                                  start_value=upper)
        else:
            if relax and upper is not None:  # few large accounts per book: the LP is weak
                bound = lagrangian_bound(facts, block, upper, time_limit - LAGRANGIAN_MARGIN)
                if bound is not None:
                    result = MipResult(status="UNKNOWN", objective=None, bound=bound,
                                       seconds=round(time.monotonic() - started, 3),
                                       owners={}, solver="lagrangian")
            if result is None:
                result = solve_block_mip(facts, block, time_limit, relax=relax)
    except Exception:  # the block goes on without the companion (or its first answer)
        result = None
    conn.send((True, result))
    conn.close()


@dataclass
class Companion:
    """HiGHS on one block, started in a forked child process."""

    facts: Facts
    block: Block
    time_limit: float
    upper: float | None = None  # a plan's objective for the block, when there is one
    start: Plan | None = None  # the block's starting plan: set for the counts model

    def __post_init__(self) -> None:
        self.interrupted = False
        self._result: MipResult | None = None
        self._received = False
        self._built: Any = None
        # The child's own time limit ends it; the margin covers a limit HiGHS overruns.
        self._deadline = time.monotonic() + self.time_limit + 5.0
        context = mp.get_context("fork")
        self._conn, child_end = context.Pipe(duplex=False)
        variables = sum(len(self.facts.eligibility.allowed[a]) for a in self.block.accounts)
        self._process = context.Process(
            target=_child, daemon=True,
            args=(self.facts, self.block, self.time_limit, variables > MIP_LIMIT, self.upper,
                  self.start, child_end))
        self._process.start()
        child_end.close()

    def _receive(self, timeout: float) -> bool:
        """Read what the child has sent: (final, result) pairs, a first answer (the counts
        model's bound) kept until the final one replaces it."""
        while not self._received and self._conn.poll(timeout):
            timeout = 0
            try:
                final, result = self._conn.recv()
            except EOFError:  # the child ended without its final answer
                self._received = True
                break
            if result is not None:
                self._result = result
            self._received = final
        return self._received

    def proven(self) -> bool:
        """True once HiGHS has proven its plan optimal (or the block infeasible)."""
        return (self._receive(0) and self._result is not None
                and self._result.status in ("OPTIMAL", "INFEASIBLE"))

    def answer(self) -> MipResult | None:
        """The final answer if it has arrived, without waiting."""
        return self._result if self._receive(0) else None

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()

    def result(self, stop: bool = False) -> MipResult | None:
        """Wait for the companion's answer (or, with `stop`, end it and take what has
        arrived); None if there is none. Ctrl-C while waiting ends it and sets
        `interrupted`."""
        if stop:
            self._receive(0)
            self.stop()
        while not self._received and self._process.is_alive():
            try:
                self._receive(0.25)
            except KeyboardInterrupt:
                self.interrupted = True
                self.stop()
            if time.monotonic() > self._deadline:
                self.stop()
        self._receive(0)
        self._process.join()
        self._conn.close()
        return self._result

    def value_of(self, owners: dict[str, str | None]) -> float | None:
        """The block objective of another plan, by the companion's model."""
        if self.start is not None:  # no assignment model: the checker's count
            return block_objective(self.facts, self.block, owners)
        if self._built is None:
            self._built = build_mip(self.facts, self.block)
        return plan_objective(self.facts, self._built, owners)[0]
