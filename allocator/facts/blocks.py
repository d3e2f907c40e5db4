"""Independent blocks: groups of accounts and CSMs that share no rule, solved separately.

Two accounts are linked when a CSM could own both, or when they are one family; a block is a
connected group. Every rule except the global move cap lives inside one block (balance
targets are constants per CSM), so the plan's objective is the sum over blocks and so is
its proven bound. With a move cap the whole book is one block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from allocator.facts.derived import Facts
from allocator.schema.plan import Plan


@dataclass(frozen=True)
class Block:
    accounts: tuple[str, ...]
    csms: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.accounts)

    def objective(self, facts: Facts, plan: Plan) -> float:
        """The block's share of the objective under `plan`, by the checker."""
        return facts.checker.block_objective(plan, self.accounts, self.csms)


def find_blocks(facts: Facts) -> list[Block]:
    """Blocks in a stable order (smallest first); CSMs with no possible account included."""
    if facts.instance.policy.continuity.max_moves is not None:
        return [Block(tuple(facts.named_accounts), tuple(facts.active_csms))]
    return connected_blocks(facts, lambda a: facts.eligibility.allowed[a], facts.active_csms)


def connected_blocks(
    facts: Facts, candidates: Callable[[str], Sequence[str]], csms: Sequence[str]
) -> list[Block]:
    """Connected groups of named accounts and `csms`, an account linked to its candidate
    CSMs and to its family; smallest first."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for csm_id in csms:
        find("c:" + csm_id)
    linked: dict[tuple[str, ...], str] = {}  # each distinct CSM list is linked up once
    for account_id in facts.named_accounts:
        find("a:" + account_id)
        allowed = tuple(candidates(account_id))
        if not allowed:
            continue
        if allowed not in linked:
            linked[allowed] = allowed[0]
            for csm_id in allowed[1:]:
                union("c:" + allowed[0], "c:" + csm_id)
        union("a:" + account_id, "c:" + linked[allowed])
    for members in facts.families.values():
        for other in members[1:]:
            union("a:" + members[0], "a:" + other)
    accounts: dict[str, list[str]] = {}
    in_block: dict[str, list[str]] = {}
    for account_id in facts.named_accounts:
        accounts.setdefault(find("a:" + account_id), []).append(account_id)
    for csm_id in csms:
        in_block.setdefault(find("c:" + csm_id), []).append(csm_id)
    roots = sorted(
        set(accounts) | set(in_block),
        key=lambda r: (len(accounts.get(r, [])), len(in_block.get(r, [])), r),
    )
    return [Block(tuple(accounts.get(r, [])), tuple(in_block.get(r, []))) for r in roots]
