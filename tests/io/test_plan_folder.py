"""The plan folder written as one set: the swap, its fallback, recovery after a crash
mid-swap, the user's own files, and keeping a better plan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from allocator.io import plan_folder
from allocator.io.plan_folder import OutputError, write_folder


def _files(tag: str) -> dict[str, Callable[[Path], object]]:
    return {
        "solution.json": lambda p: p.write_text(tag, encoding="utf-8"),
        "assignments.csv": lambda p: p.write_text(tag, encoding="utf-8"),
    }


@pytest.mark.parametrize("atomic_swap", [True, False], ids=["renameat2", "two renames"])
def test_a_new_set_replaces_the_old_and_keeps_the_users_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, atomic_swap: bool
) -> None:
    if not atomic_swap:
        monkeypatch.setattr(plan_folder, "_exchange", lambda a, b: False)
    folder = tmp_path / "plan"
    assert write_folder(folder, _files("old"))
    (folder / "block_summary.csv").write_text("old", encoding="utf-8")  # an old plan file
    (folder / "notes.md").write_text("mine", encoding="utf-8")
    (folder / "drafts").mkdir()
    (folder / "drafts" / "a.txt").write_text("draft", encoding="utf-8")
    assert write_folder(folder, _files("new"))
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["assignments.csv", "drafts", "notes.md", "solution.json"]
    assert (folder / "solution.json").read_text(encoding="utf-8") == "new"
    assert (folder / "notes.md").read_text(encoding="utf-8") == "mine"
    assert (folder / "drafts" / "a.txt").read_text(encoding="utf-8") == "draft"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_a_writer_killed_between_the_two_renames_is_recovered(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    write_folder(folder, _files("old"))
    folder.rename(tmp_path / ".plan.replaced-4242")  # the crash: old moved aside, new not in
    (tmp_path / ".plan.staging-4242-x").mkdir()
    write_folder(folder, _files("new"))
    assert (folder / "solution.json").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_keep_existing_leaves_the_folder_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    write_folder(folder, _files("better"))
    asked: list[Path] = []

    def keep(existing: Path) -> bool:
        asked.append(existing)
        return True

    assert not write_folder(folder, _files("worse"), keep)
    assert asked == [folder]
    assert (folder / "solution.json").read_text(encoding="utf-8") == "better"


def test_a_file_where_the_folder_should_be_is_an_output_error(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        write_folder(target, _files("x"))
