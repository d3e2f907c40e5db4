"""Live solve progress on the terminal (incumbent, bound, gap, elapsed)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

from allocator.deadline import Deadline
from allocator.pipeline import Progress
from allocator.schema import relative_gap


def describe(progress: Progress) -> str:
    gap = relative_gap(progress.objective, progress.bound)
    incumbent = "none yet" if progress.objective is None else f"{progress.objective:,.2f}"
    bound = "-" if progress.bound is None else f"{progress.bound:,.2f}"
    gap_text = "-" if gap is None else f"{gap:.2%}"
    return (
        f"{progress.phase}: {progress.elapsed:6.1f}s  plan {incumbent}  bound {bound}  "
        f"gap {gap_text}  plans found {progress.solutions}"
    )


class ProgressDisplay:
    """A single updating status line on a terminal; a log line every 10 s otherwise."""

    def __init__(self, console: Console, interval: float = 10.0):
        self._console = console
        self._live: Live | None = None
        self._interval = interval
        self._due = Deadline.after(interval)

    def __enter__(self) -> ProgressDisplay:
        if self._console.is_terminal:
            self._live = Live(
                Text("building model"), console=self._console, transient=True, refresh_per_second=4
            )
            self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, value, tb)

    def __call__(self, progress: Progress) -> None:
        if self._live is not None:
            self._live.update(Text(describe(progress)))
        elif self._due.expired():
            self._due = Deadline.after(self._interval)
            self._console.print(describe(progress), highlight=False)
