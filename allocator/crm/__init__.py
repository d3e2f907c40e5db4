"""CRM and customer-success-platform files: account exports and rosters in (presets for
Salesforce, Gainsight, ChurnZero and Totango, or a mapping file), owner updates and
handoff lists out."""

from allocator.crm.export import handoff, handoff_counts, move_list, plan_moves, write_csv
from allocator.crm.importer import (
    Imported,
    ImportOptions,
    import_accounts,
    import_files,
    import_frames,
    read_policy,
)
from allocator.crm.keys import CrmKeys, keys_path, read_keys, write_keys
from allocator.crm.presets import load_preset

__all__ = [
    "CrmKeys",
    "ImportOptions",
    "Imported",
    "handoff",
    "handoff_counts",
    "import_accounts",
    "import_files",
    "import_frames",
    "keys_path",
    "load_preset",
    "move_list",
    "plan_moves",
    "read_keys",
    "read_policy",
    "write_csv",
    "write_keys",
]
