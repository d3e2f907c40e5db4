"""Reading and writing files: instances (JSON, DataFrames, OR-Library GAP), solutions,
generated instances, and atomic writes that never replace a better plan."""

from allocator.io.files import write_atomic, write_text_atomic
from allocator.io.generate import generate_instance, write_instance
from allocator.io.loading import (
    instance_from_dict,
    instance_from_frames,
    load_instance,
    load_solution,
)
from allocator.io.orlib_gap import read_orlib_gap
from allocator.io.plan_folder import OutputError, write_folder
from allocator.io.reading import parse_json, read_json, read_text
from allocator.io.validation import validate

__all__ = [
    "OutputError",
    "generate_instance",
    "instance_from_dict",
    "instance_from_frames",
    "load_instance",
    "load_solution",
    "parse_json",
    "read_json",
    "read_orlib_gap",
    "read_text",
    "validate",
    "write_atomic",
    "write_folder",
    "write_instance",
    "write_text_atomic",
]
