"""The report's views for CS leaders: utilisation spread before and after, the move budget
used, the book by region and segment, each CSM's book, the locked and frozen accounts, and
renewals per quarter when the spread is counted per quarter."""

from __future__ import annotations

from html.parser import HTMLParser

from allocator.crm import ImportOptions, import_files, read_policy
from allocator.pipeline import solve
from allocator.report import build_report
from tests.builders import ROOT

SALESFORCE = ROOT / "tests" / "data" / "rebalance" / "salesforce"


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs).get("id")
        if found:
            self.ids.append(found)


def test_the_report_speaks_to_leaders() -> None:
    options = ImportOptions(
        policy=read_policy(SALESFORCE / "policy.json"), day_first=True, max_moves=12
    )
    instance = import_files(
        SALESFORCE / "accounts.csv", SALESFORCE / "roster.csv", "salesforce", options=options
    ).instance
    solution = solve(instance, time_limit=10).solution
    page = build_report(instance, solution)
    tables = _Tables()
    tables.feed(page)
    for section in ("utilisation-spread", "move-budget", "region-segment", "csm-books"):
        assert section in tables.ids, section
    voluntary = solution.moves - solution.forced_moves
    assert f"{voluntary} of 12 voluntary moves used" in page
    assert "Renewals by CSM and quarter" in page
    assert "Reasons from allocator" not in page
    rows = {r.csm: r for r in solution.csm_summary}
    assert rows["C07"].pool == "Global+Enterprise+Scale / generalist + finance / NA+EMEA+APAC"
    assert rows["C09"].full_capacity == 40 and rows["C09"].ramped_capacity == 20
    new = sum(1 for a in instance.accounts if a.current_csm is None)
    assert sum(r.new_accounts for r in solution.csm_summary) == new
    moved_in = sum(r.moved_in for r in solution.csm_summary)
    assert moved_in == solution.moves - sum(
        1 for r in solution.assignments if r.moved and r.csm is None
    )
