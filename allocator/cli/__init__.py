"""The `allocate` command line."""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _terminated(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("terminated; nothing written\n")
    raise SystemExit(143)


def run() -> None:
    """The `allocate` entry point. The command modules load the solver stack (about a
    second); a Ctrl-C meanwhile ends the run like any interrupt: one line, exit 130."""
    signal.signal(signal.SIGTERM, _terminated)  # until a solve handles stops itself
    try:
        from allocator.cli.main import main  # loaded here: see the docstring
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing written\n")
        raise SystemExit(130) from None
    main()
