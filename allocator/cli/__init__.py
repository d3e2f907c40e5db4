"""The `allocate` command line."""
