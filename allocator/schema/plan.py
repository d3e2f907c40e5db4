"""The plan type: who owns each account."""

from __future__ import annotations

from collections.abc import Mapping

Plan = Mapping[str, str | None]
"""Account id -> the CSM who owns it; None for an account with no named CSM (a pooled
account, or one not placed). Read-only: code that changes a plan builds a new one."""

Owners = dict[str, str | None]
"""A plan being built (and returned) by one function."""
