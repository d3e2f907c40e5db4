"""A plan's output folder, written as one set: a reader sees the old files or the new ones,
never a mix, whatever stops the writer (kill -9, a full disk, a second solve racing it).

The files are written into a staging folder beside the output folder, then the two are
swapped in one step (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere two renames, with the
old folder restored by the next write if the writer dies between them). Other files the
user keeps in the output folder are carried over into the new one. A lock on the parent
folder serialises writers, so "keep the better plan" compares against what is really
there; staging folders a killed writer left behind are removed by the next writer.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

STAGING = ".staging-"
OLD = ".replaced-"
PROBE = ".probe-"


class OutputError(Exception):
    """The output could not be written; the folder is as it was."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def os_reason(error: OSError) -> str:
    """What went wrong, in a user's words."""
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "not writable (permission denied or read-only)"
    if error.errno == errno.ENAMETOOLONG:
        return "name too long for the file system"
    if error.errno == errno.ENOTDIR:
        return "a path component is a file, not a folder"
    return error.strerror or str(error)


def resolve_output(out: Path) -> Path:
    """The folder a plan goes to: symbolic links followed (a dangling one is refused), and
    a path that exists as a file refused."""
    if out.is_symlink():
        target = out.resolve()
        if not target.exists():
            raise OutputError(out, "a symbolic link to nothing (dangling)")
        out = target
    if out.exists() and not out.is_dir():
        raise OutputError(out, "exists and is not a folder")
    return out


def probe(out: Path) -> Path:
    """Check, before any work, that a plan can be written to `out`: the parent folder is
    made if needed and a staging folder created and removed in it. Returns the resolved
    folder."""
    try:
        folder = resolve_output(out)
    except OSError as error:
        raise OutputError(out, os_reason(error)) from None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}{PROBE}", dir=folder.parent))
        with suppress(FileNotFoundError):  # a writer's recovery took it already
            staging.rmdir()
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(folder, "not writable (permission denied)")
    except OSError as error:
        raise OutputError(folder, os_reason(error)) from None
    return folder


@contextmanager
def _locked(parent: Path) -> Iterator[None]:
    """An exclusive lock on the parent folder, held while comparing and swapping."""
    handle = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> Any:
    """libc's renameat2, or None where there is none (not Linux, old glibc, musl)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    return getattr(ctypes.CDLL(name, use_errno=True), "renameat2", None)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot swap: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _fsync_dir(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _recover(folder: Path) -> None:
    """Undo what a writer killed mid-swap left: a missing folder whose old copy is still
    beside it comes back, and staging folders are removed (only a writer holding the lock
    stages, so any found under the lock are stale). Empty probe folders go too: a writer
    killed between making and removing its probe leaves one (a live writer's probe may be
    taken as well; it only checks that a folder can be made)."""
    parent = folder.parent
    prefix_old, prefix_staging = f".{folder.name}{OLD}", f".{folder.name}{STAGING}"
    prefix_probe = f".{folder.name}{PROBE}"
    for entry in sorted(parent.iterdir()):
        if entry.name.startswith(prefix_old):
            if not folder.exists():
                os.rename(entry, folder)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(prefix_staging):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(prefix_probe):
            with suppress(OSError):  # not empty, or gone: not a probe of ours
                entry.rmdir()


def _carry_over(folder: Path, staging: Path, ours: set[str]) -> None:
    """The user's own files in the output folder go into the new one (hard links: no
    copy, no window in which they are missing)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name in ours:
            continue
        target = staging / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(entry), str(target))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def write_folder(
    out: Path,
    files: Mapping[str, Callable[[Path], object]],
    keep_existing: Callable[[Path], bool] | None = None,
) -> bool:
    """Write `files` (name -> writer of that file) as the plan in `out`, replacing the plan
    files there as one set. Plan files of the old set not in `files` are dropped.

    `keep_existing(folder)`, called under the lock, returns True to leave the folder as it
    is (a better plan is there); then nothing is written and False is returned.
    Raises `OutputError` when the folder cannot be written; it is then unchanged.
    """
    folder = probe(out)
    parent = folder.parent
    staging: Path | None = None
    try:
        with _locked(parent):
            _recover(folder)
            if keep_existing is not None and folder.is_dir() and keep_existing(folder):
                return False
            staging = Path(
                tempfile.mkdtemp(prefix=f".{folder.name}{STAGING}{os.getpid()}-", dir=parent)
            )
            os.chmod(staging, 0o777 & ~_current_umask())
            for name, write in files.items():
                target = staging / name
                write(target)
                with open(target, "rb") as handle:
                    os.fsync(handle.fileno())
            _carry_over(folder, staging, set(files) | PLAN_FILES)
            _fsync_dir(staging)
            _swap(folder, staging)
            _fsync_dir(parent)
            staging = None
    except OSError as error:
        raise OutputError(folder, os_reason(error)) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return True


def _swap(folder: Path, staging: Path) -> None:
    """Put `staging` in `folder`'s place; the old content ends up removed."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    if _exchange(staging, folder):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old set
        return
    old = folder.parent / f".{folder.name}{OLD}{os.getpid()}"
    os.rename(folder, old)
    os.rename(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


PLAN_FILES = {"solution.json", "assignments.csv", "csm_summary.csv", "block_summary.csv"}
"""The files a plan folder holds; other files there are the user's and are kept."""


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
