"""The review workspace: a local web application where CS ops imports, plans, reviews,
approves and exports (`allocate serve`; the `web` extra)."""
