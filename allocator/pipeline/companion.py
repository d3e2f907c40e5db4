"""A MIP companion for one block: HiGHS on the same rules, in a child process.

CP-SAT's bound is weak on assignment models whose knapsacks are tight (the classic GAP)
and on blocks of tens of thousands of pairs, where HiGHS's LP relaxation and cuts prove
more. The companion runs beside CP-SAT (or the neighbourhood search) for the block's
time; the block keeps the better plan and the higher of the two proven bounds, and
whichever solver proves optimality first stops the other. HiGHS's MIP search is one
thread, so on 2 cores the pair uses both. Blocks above `mip_limit` pairs get HiGHS's LP
relaxation only: a bound, and no plan (a new tight book above it gets no companion: its
LP-rounded start solves that LP itself, and the search's second lane takes the core);
where the books hold a few large accounts and the block is small enough, the Lagrangian
bound (`allocator.bounds.lagrangian`) replaces that LP, as it is stronger there. Blocks
too big even for the LP get the counts model (`allocator.bounds.counts`): a bound, and a
plan that the block takes if it beats the neighbourhood search's.

A process, not a thread: HiGHS through MathOpt ignores the solve interrupter, so the only
prompt stop, for Ctrl-C or once CP-SAT has proven the block, is to end the process. It is
forked, so it starts from the facts without copying them; where fork is unavailable
there is no companion. The plan it returns is re-checked before it is used.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from allocator.bounds import counts_model_applies, lagrangian_bound, solve_counts
from allocator.deadline import Deadline, Stopwatch
from allocator.facts import Block, Facts
from allocator.model import MipResult, highs_available, solve_block_mip
from allocator.parameters import SolveParams
from allocator.schema.plan import Plan


def wanted(
    params: SolveParams,
    variables: int,
    workers: int,
    deterministic: bool,
    pinned: bool,
    time_limit: float = float("inf"),
    counts: bool = False,
) -> bool:
    """Whether a block gets a companion: only with a second thread to run it on, not when
    the run must be reproducible (two solvers racing end in timing-dependent ways), not
    for pinned (what-if) solves, and only when building the model leaves time to solve.
    `counts`: the block is above `companion_limit` but its counts model applies."""
    small = 0 < variables <= params.companion_limit
    builds_in_time = variables * params.companion_build_seconds_per_variable < 0.3 * time_limit
    return (
        workers > 1
        and not deterministic
        and not pinned
        and (counts or (small and builds_in_time))
        and "fork" in mp.get_all_start_methods()
        and highs_available()
    )


def uses_counts(facts: Facts, block: Block, variables: int, params: SolveParams) -> bool:
    """Blocks too big for HiGHS's MIP get the counts model instead of the LP relaxation or
    the Lagrangian bound, where it applies."""
    return variables > params.mip_limit and counts_model_applies(facts, block)


def workers_beside(workers: int) -> int:
    """CP-SAT's workers while the companion runs: HiGHS keeps one core to itself (measured
    on the GAP sets and bench-M: benchmarks/NOTES.md)."""
    return max(1, min(workers, os.cpu_count() or 1) - 1)


def _child(
    facts: Facts,
    block: Block,
    deadline: Deadline,
    params: SolveParams,
    upper: float | None,
    start: Plan | None,
    conn: Connection,
) -> None:
    for stop in (signal.SIGINT, signal.SIGTERM):  # the parent decides when to stop
        signal.signal(stop, signal.SIG_IGN)
    clock = Stopwatch.start()
    variables = sum(len(facts.eligibility.allowed[a]) for a in block.accounts)
    relax = variables > params.mip_limit
    try:
        result: MipResult | None = None
        if start is not None:  # the bound arrives first, in case the plan runs late
            result = solve_counts(
                facts,
                block,
                deadline,
                start,
                params,
                on_bound=lambda first: conn.send((False, first)),
                start_value=upper,
            )
        else:
            if relax and upper is not None:  # few large accounts per book: the LP is weak
                bound = lagrangian_bound(
                    facts,
                    block,
                    upper,
                    deadline.before(params.lagrangian_margin_seconds),
                    params.lagrangian_work_limit,
                )
                if bound is not None:
                    result = MipResult(
                        status="UNKNOWN",
                        objective=None,
                        bound=bound,
                        seconds=round(clock.seconds(), 3),
                        owners={},
                        solver="lagrangian",
                    )
            if result is None:
                result = solve_block_mip(facts, facts.checker, block, deadline.left(), relax=relax)
    except Exception:  # the block goes on without the companion (or its first answer)
        result = None
    conn.send((True, result))
    conn.close()


@dataclass
class Companion:
    """HiGHS on one block, started in a forked child process."""

    facts: Facts
    block: Block
    deadline: Deadline
    params: SolveParams
    upper: float | None = None  # a plan's objective for the block, when there is one
    start: Plan | None = None  # the block's starting plan: set for the counts model
    interrupted: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._result: MipResult | None = None
        self._received = False
        # The child's own time limit ends it; the margin covers a limit HiGHS overruns.
        self._stop_by = Deadline(self.deadline.at + self.params.companion_margin_seconds)
        context = mp.get_context("fork")
        self._conn, child_end = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child,
            daemon=True,
            args=(
                self.facts,
                self.block,
                self.deadline,
                self.params,
                self.upper,
                self.start,
                child_end,
            ),
        )
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
        return (
            self._receive(0)
            and self._result is not None
            and self._result.status in ("OPTIMAL", "INFEASIBLE")
        )

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
            if self._stop_by.expired():
                self.stop()
        self._receive(0)
        self._process.join()
        self._conn.close()
        return self._result
