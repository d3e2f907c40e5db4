"""Cross-record checks on an instance; every problem is reported at once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from allocator.facts.eligibility import (
    REGION,
    SEGMENT_SERVED,
    VERTICAL_SPECIALIZATION,
    compute_eligibility,
    structural_reasons,
)
from allocator.facts.segmentation import segment_accounts
from allocator.schema.errors import Problem
from allocator.schema.instance import Account, Csm, Instance


def _duplicates(kind: str, ids: list[str]) -> list[Problem]:
    return [
        Problem(f"{kind}[id={i}]", "id", f"duplicate id {i!r} ({n} records)")
        for i, n in Counter(ids).items()
        if n > 1
    ]


def _parent_cycles(instance: Instance) -> list[Problem]:
    """Each cycle of parent links once, in time linear in the number of accounts."""
    parent = {a.id: a.parent_id for a in instance.accounts}
    done: set[str] = set()
    problems = []
    for start in parent:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node in parent and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent[node]
        if node is not None and node in on_path:
            cycle = path[path.index(node) :]
            problems.append(
                Problem(
                    f"accounts[id={node}]",
                    "parent_id",
                    "parent cycle: " + " -> ".join([*cycle, node]),
                )
            )
        done.update(path)
    return problems


def _segment_overlaps(instance: Instance) -> list[Problem]:
    """Segments whose ARR ranges overlap: list order would silently decide."""
    policy = instance.policy
    if policy.segment_ranges == "first_match":
        return []
    problems = []
    ranged = sorted(policy.segments, key=lambda s: s.min_arr)
    for index, low in enumerate(ranged):
        for high in ranged[index + 1 :]:
            if low.max_arr is not None and high.min_arr >= low.max_arr:
                break
            end = "no upper bound" if low.max_arr is None else f"{low.max_arr:,.0f}"
            problems.append(
                Problem(
                    f"policy.segments[name={high.name}]",
                    "min_arr",
                    f"ARR range overlaps {low.name}'s ({low.min_arr:,.0f} to {end}): an "
                    "account's segment would depend on list order — make the ranges meet "
                    'end to start, or set policy.segment_ranges to "first_match"',
                )
            )
    return problems


def _text_problems(instance: Instance) -> list[Problem]:
    """Strings that are not text (lone surrogates, from a DataFrame or a decoder's escape)."""
    problems = []
    records: list[tuple[str, list[Account] | list[Csm]]] = [
        ("accounts", instance.accounts),
        ("csms", instance.csms),
    ]
    for kind, group in records:
        for index, record in enumerate(group):
            for name, value in record:
                values = value if isinstance(value, list) else [value]
                if any(isinstance(v, str) and not _encodable(v) for v in values):
                    problems.append(
                        Problem(f"{kind}[{index}]", name, "holds a lone surrogate (not text)")
                    )
    return problems


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate(
    instance: Instance,
    unparsed_accounts: set[str] | None = None,
    unparsed_csms: set[str] | None = None,
    homeless_ok: bool = False,
) -> list[Problem]:
    """Every cross-record problem in `instance`; empty when it is valid.

    References to ids in `unparsed_*` (records that failed to parse and were reported
    already) are not reported again. With `homeless_ok`, accounts no staying CSM may take
    are not problems of the file: headcount and scenarios ask what would fix them.
    """
    problems: list[Problem] = _text_problems(instance)
    if problems:  # ids that are not text cannot be named in other problems
        return problems
    policy = instance.policy
    account_ids = {a.id for a in instance.accounts} | (unparsed_accounts or set())
    csm_ids = {c.id for c in instance.csms} | (unparsed_csms or set())
    segment_names = {s.name for s in policy.segments}
    problems += _duplicates("accounts", [a.id for a in instance.accounts])
    problems += _duplicates("csms", [c.id for c in instance.csms])
    problems += [
        Problem(f"policy.segments[name={n}]", "name", "duplicate segment name")
        for n, k in Counter(s.name for s in policy.segments).items()
        if k > 1
    ]
    if policy.strategic_segment is not None and policy.strategic_segment not in segment_names:
        problems.append(
            Problem("policy", "strategic_segment", f"unknown segment {policy.strategic_segment!r}")
        )
    problems += _segment_overlaps(instance)
    for seg in policy.segments:
        if seg.max_arr is not None and seg.max_arr <= seg.min_arr:
            problems.append(
                Problem(
                    f"policy.segments[name={seg.name}]",
                    "max_arr",
                    "max_arr must be greater than min_arr",
                )
            )

    for a in instance.accounts:
        rec = f"accounts[id={a.id}]"
        if a.current_csm is not None and a.current_csm not in csm_ids:
            problems.append(Problem(rec, "current_csm", f"unknown CSM {a.current_csm!r}"))
        if a.parent_id is not None and a.parent_id not in account_ids:
            problems.append(Problem(rec, "parent_id", f"unknown account {a.parent_id!r}"))
        if a.parent_id == a.id:
            problems.append(Problem(rec, "parent_id", "account is its own parent"))
        if a.segment is not None and a.segment not in segment_names:
            problems.append(Problem(rec, "segment", f"unknown segment {a.segment!r}"))
        if a.locked and a.current_csm is None:
            problems.append(Problem(rec, "locked", "locked but has no current_csm"))
        if a.lifecycle_stage is not None and a.lifecycle_stage not in policy.effort.lifecycle:
            problems.append(
                Problem(
                    rec,
                    "lifecycle_stage",
                    f"unknown stage {a.lifecycle_stage!r}; known: "
                    + ", ".join(sorted(policy.effort.lifecycle)),
                )
            )

    for c in instance.csms:
        rec = f"csms[id={c.id}]"
        if c.capacity <= 0:
            problems.append(Problem(rec, "capacity", f"capacity must be > 0, got {c.capacity}"))
        for s in c.segments:
            if s not in segment_names:
                problems.append(Problem(rec, "segments", f"unknown segment {s!r}"))
        for s in c.max_accounts:
            if s not in segment_names:
                problems.append(Problem(rec, "max_accounts", f"unknown segment {s!r}"))

    seen_pairs: set[tuple[str, str]] = set()
    for i, p in enumerate(instance.pairs):
        rec = f"pairs[{i}]({p.account}, {p.csm})"
        if (p.account, p.csm) in seen_pairs:
            problems.append(Problem(rec, "csm", f"duplicate pair ({p.account}, {p.csm})"))
        seen_pairs.add((p.account, p.csm))
        if p.account not in account_ids:
            problems.append(Problem(rec, "account", f"unknown account {p.account!r}"))
        if p.csm not in csm_ids:
            problems.append(Problem(rec, "csm", f"unknown CSM {p.csm!r}"))

    if problems or unparsed_accounts or unparsed_csms:
        return problems
    problems += _parent_cycles(instance)
    if problems:
        return problems
    return _homeless_accounts(instance, homeless_ok)


def _homeless_accounts(instance: Instance, homeless_ok: bool = False) -> list[Problem]:
    """Accounts that no staying CSM could ever own, whatever else the plan does."""
    segment_of = segment_accounts(instance)
    pooled = {s.name for s in instance.policy.segments if s.pooled}
    eligibility = compute_eligibility(instance, segment_of, dt.date.min)
    problems = []
    for a in instance.accounts:
        seg = segment_of[a.id]
        rec = f"accounts[id={a.id}]"
        if seg is None:
            problems.append(Problem(rec, "arr", f"ARR {a.arr} matches no segment's range"))
        elif not homeless_ok and seg not in pooled and not eligibility.structural[a.id]:
            problems.append(
                Problem(
                    rec,
                    "segment",
                    f"no staying CSM can take it (segment {seg!r}, vertical {a.vertical!r}, "
                    f"region {a.region!r})" + _homeless_hint(instance, seg, a.vertical, a.region),
                )
            )
    return problems


def _homeless_hint(instance: Instance, segment: str, vertical: str, region: str) -> str:
    """The one rule that stops every staying CSM who passes the others, said with its fix."""
    specialized = frozenset(instance.policy.specialization.verticals)
    hard = instance.policy.specialization.hard
    blocking = [
        set(structural_reasons(c, segment, vertical, region, specialized, hard))
        for c in instance.csms
        if not c.leaving
    ]
    alone = {next(iter(r)) for r in blocking if len(r) == 1}
    if VERTICAL_SPECIALIZATION in alone and not (hard and vertical in specialized):
        return (
            f": the staying CSMs who serve {segment} in {region or 'every region'} are "
            f"specialists who take only their own verticals, not {vertical or 'unset'} — add "
            "a generalist there, or set generalist: true on one of them"
        )
    if VERTICAL_SPECIALIZATION in alone:
        return (
            f": {vertical!r} is a specialist vertical (policy.specialization.verticals) and no "
            f"CSM who serves {segment} in {region or 'every region'} lists it — list it on a CSM, "
            "or set policy.specialization.hard to false"
        )
    if REGION in alone:
        return f": the CSMs who could take it cover other regions than {region!r}"
    if blocking and all(SEGMENT_SERVED in r for r in blocking):
        return f": no staying CSM serves {segment}"
    return ""
