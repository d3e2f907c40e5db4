"""pooled_segments: accounts of a pooled (tech-touch) segment get no named CSM.

Enforced by what is modelled: a pooled account gets no variable at all (`Form` models the
named accounts only), in every form. A pooled account that had an owner is a forced move,
counted by `moves`.
"""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class PooledSegments:
    name = "pooled_segments"

    def build(self, form: Form[Any]) -> None:
        """Nothing to add: pooled accounts are not in `form.accounts`."""
