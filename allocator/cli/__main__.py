"""`python -m allocator.cli`: the `allocate` command."""

from allocator.cli import run

run()
