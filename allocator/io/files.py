"""Writing plans to disk: atomically, and never silently replacing a better plan."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from allocator.schema.solution import Solution


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; plans are shared files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(path, write)


def existing_better(path: Path, new: Solution) -> Solution | None:
    """The plan already at `path` if it is for the same instance, clean, and better."""
    if not path.exists():
        return None
    try:
        old = Solution.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
    if old.instance_hash != new.instance_hash or old.violations or old.objective is None:
        return None
    if new.objective is None or new.violations:
        return old
    if "fewest_voluntary_moves" in new.parameters:  # fewest-moves mode: moves come first
        old_moves = (old.moves or 0) - (old.forced_moves or 0)
        new_moves = (new.moves or 0) - (new.forced_moves or 0)
        if old_moves != new_moves:
            return old if old_moves < new_moves else None
    return old if old.objective < new.objective - 1e-9 else None
