"""Reading and writing files: instances (JSON, DataFrames, OR-Library GAP), solutions,
generated instances, and atomic writes that never replace a better plan."""

from allocator.io.files import existing_better, write_atomic, write_text_atomic
from allocator.io.generate import generate_instance, write_instance
from allocator.io.loading import (
    instance_from_dict,
    instance_from_frames,
    load_instance,
    load_solution,
    read_json,
)
from allocator.io.orlib_gap import read_orlib_gap
from allocator.io.validation import validate

__all__ = [
    "existing_better",
    "generate_instance",
    "instance_from_dict",
    "instance_from_frames",
    "load_instance",
    "load_solution",
    "read_json",
    "read_orlib_gap",
    "validate",
    "write_atomic",
    "write_instance",
    "write_text_atomic",
]
