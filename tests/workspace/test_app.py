"""The workspace through HTTP: import, scenario edits (with conflicts), background solves,
review decisions kept and used by the re-plan, export of the approved moves only, and the
security rules (CSRF, token off loopback, escaping, upload limits, restarts)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from allocator.cli.main import main
from allocator.io import load_instance
from allocator.workspace import app as workspace_app
from allocator.workspace.app import Settings, create_app
from allocator.workspace.store import Run, Store
from tests.builders import INSTANCES
from tests.workspace.conftest import csrf, import_instance, solve, wait

EXAMPLE = INSTANCES / "example.json"


def test_import_solve_review_replan_export(client: TestClient) -> None:
    scenario = import_instance(client, EXAMPLE)
    assert "example" in client.get("/").text or "book" in client.get("/").text
    first = wait(client, solve(client, scenario))
    assert first.status == "done" and first.checker == "clean" and first.plan_status == "OPTIMAL"
    page = client.get(f"/runs/{first.id}").text
    assert "109.08" in page and "clean" in page
    review = client.get(f"/runs/{first.id}/review").text
    moved = [r for r in json.loads(first.solution_json)["assignments"] if r["moved"]]
    assert len(moved) >= 2 and moved[0]["account"] in review
    voluntary = [r for r in moved if not r["forced"] and r["previous_csm"]]
    rejected, accepted = voluntary[0], voluntary[1]
    for row, action in ((rejected, "reject"), (accepted, "accept")):
        response = client.post(
            f"/runs/{first.id}/decide",
            data={
                "csrf": csrf(client),
                "account": row["account"],
                "action": action,
                "who": "Dana",
                "comment": "renewal talks",
            },
        )
        assert response.status_code == 303
    review = client.get(f"/runs/{first.id}/review?reviewer=Dana").text
    assert "1 accepted, 1 rejected" in review and "reject by Dana" in review
    assert "renewal talks" in review and 'value="Dana"' in review
    # The export lists the approved move only.
    exported = client.get(f"/runs/{first.id}/export?preset=salesforce")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["Id"] for r in rows] == [accepted["account"]]
    # Re-plan: the rejected move is not made again, and the page says what changed.
    second = wait(client, solve(client, scenario))
    owners = {r["account"]: r["csm"] for r in json.loads(second.solution_json)["assignments"]}
    assert owners[rejected["account"]] == rejected["previous_csm"]
    assert "accounts have a different owner" in client.get(f"/runs/{second.id}").text
    compared = client.get(f"/compare?run={first.id}&run={second.id}").text
    assert "cost/ARR Scale" in compared and "109.08" in compared
    assert "C001" in client.get(f"/runs/{first.id}/csms").text
    report = client.get(f"/runs/{first.id}/report")
    assert report.status_code == 200 and "Allocation report" in report.text


def test_a_bad_import_lists_every_problem_and_stores_nothing(client: TestClient) -> None:
    broken = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    broken["accounts"][0]["arr"] = "lots"
    broken["csms"][1]["capacity"] = -3
    response = client.post(
        "/import",
        data={"csrf": csrf(client), "name": "bad"},
        files={"instance": ("bad.json", json.dumps(broken).encode(), "application/json")},
    )
    assert response.status_code == 422
    assert "accounts[id=A00001].arr" in response.text and "csms[id=C002].capacity" in response.text
    assert "Nothing imported yet" in client.get("/").text


def test_a_forced_move_cannot_be_rejected(client: TestClient) -> None:
    run = wait(client, solve(client, import_instance(client, EXAMPLE)))
    forced = next(r for r in json.loads(run.solution_json)["assignments"] if r["forced"])
    response = client.post(
        f"/runs/{run.id}/decide",
        data={"csrf": csrf(client), "account": forced["account"], "action": "reject"},
    )
    assert response.status_code == 422 and "forced move" in response.text


def test_serving_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    run = CliRunner().invoke(
        main, ["serve", "--workspace", str(tmp_path / "ws"), "--host", "0.0.0.0"], env={}
    )
    assert run.exit_code == 2 and "needs a token" in run.output


def test_state_changes_need_the_csrf_token(client: TestClient) -> None:
    scenario = import_instance(client, EXAMPLE)
    assert client.post(f"/scenarios/{scenario}/solve", data={"time_limit": 5}).status_code == 403
    forged = client.post(f"/scenarios/{scenario}/solve", data={"csrf": "x", "time_limit": 5})
    assert forged.status_code == 403


def _edit(client: TestClient, scenario: int, version: int, cap: str) -> int:
    data = {
        "csrf": csrf(client),
        "version": version,
        "cap:Scale": cap,
        "cap:Enterprise": "15",
        "cap:Global": "6",
        "thresholds": "150k, 750k",
        "max_moves": "",
        "freeze_days": "30",
        "band": "",
        **{f"weight:{w}": "1" for w in ("balance", "moves", "renewal_bunching", "pair_cost")},
        "weight:specialization": "5",
    }
    return client.post(f"/scenarios/{scenario}", data=data).status_code


def test_two_tabs_editing_one_scenario_get_a_conflict(client: TestClient) -> None:
    scenario = import_instance(client, EXAMPLE)
    assert _edit(client, scenario, 1, "35") == 303
    assert _edit(client, scenario, 1, "30") == 409  # the second tab loaded version 1
    page = client.get(f"/scenarios/{scenario}").text
    assert 'value="35"' in page and "Version 2" in page
    assert _edit(client, scenario, 2, "many") == 422


def test_names_are_escaped_everywhere(client: TestClient, tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>"
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for account in raw["accounts"]:
        account["name"] = hostile
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    scenario = import_instance(client, path, name=hostile)
    run = wait(client, solve(client, scenario))
    for url in ("/", f"/scenarios/{scenario}", f"/runs/{run.id}", f"/runs/{run.id}/review"):
        text = client.get(url).text
        assert hostile not in text, url
    assert "&lt;script&gt;" in client.get(f"/runs/{run.id}/review").text
    assert "default-src 'none'" in client.get("/").headers["content-security-policy"]


def test_off_loopback_every_request_needs_the_token(tmp_path: Path) -> None:
    app = create_app(Settings(folder=tmp_path / "ws", host="0.0.0.0", token="s3cret-token"))
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/").status_code == 401
        assert client.get("/?token=wrong").status_code == 401
        entered = client.get("/?token=s3cret-token")
        assert entered.status_code == 303
        assert client.get("/").status_code == 200  # the cookie carries it now


def test_uploads_are_size_limited(client: TestClient, monkeypatch: object) -> None:
    size = len(EXAMPLE.read_bytes())
    # a file over the limit is refused while it is read; a request far over it, at once
    monkeypatch.setattr(workspace_app, "MAX_UPLOAD", size // 2)  # type: ignore[attr-defined]
    response = client.post(
        "/import",
        data={"csrf": csrf(client), "name": "big"},
        files={"instance": ("big.json", EXAMPLE.read_bytes(), "application/json")},
    )
    assert response.status_code == 422 and f"over {size // 2:,} bytes" in response.text
    monkeypatch.setattr(workspace_app, "MAX_UPLOAD", size // 8)  # type: ignore[attr-defined]
    response = client.post(
        "/import",
        data={"csrf": csrf(client), "name": "big"},
        files={"instance": ("big.json", EXAMPLE.read_bytes(), "application/json")},
    )
    assert response.status_code == 413
    assert "Nothing imported yet" in client.get("/").text


def test_a_restart_keeps_runs_and_decisions_and_marks_a_lost_solve(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with TestClient(create_app(Settings(folder=folder)), follow_redirects=False) as client:
        client.get("/")
        scenario = import_instance(client, EXAMPLE)
        run = wait(client, solve(client, scenario))
        account = next(
            r
            for r in json.loads(run.solution_json)["assignments"]
            if r["moved"] and not r["forced"] and r["previous_csm"]
        )
        client.post(
            f"/runs/{run.id}/decide",
            data={"csrf": csrf(client), "account": account["account"], "action": "reject"},
        )
    store = Store(folder)
    with store.session() as session:  # a crash mid-solve leaves a run marked running
        session.add(Run(scenario_id=scenario, status="running", instance_json="{}"))
    with TestClient(create_app(Settings(folder=folder)), follow_redirects=False) as client:
        home = client.get("/").text
        assert "interrupted" in home and "done" in home
        assert "1 rejected" in client.get(f"/runs/{run.id}/review").text


def test_cancel_keeps_the_best_plan(client: TestClient) -> None:
    scenario = import_instance(client, INSTANCES / "bench-M.json")
    run_id = solve(client, scenario, seconds=120)
    store = client.app.state.store  # type: ignore[attr-defined]
    for _ in range(150):  # wait until the solve is under way
        with store.session() as session:
            found = session.get(Run, run_id)
            if found is not None and "plan" in found.progress and "none yet" not in found.progress:
                break
        import time

        time.sleep(0.2)
    assert client.post(f"/runs/{run_id}/cancel", data={"csrf": csrf(client)}).status_code == 303
    run = wait(client, run_id)
    assert run.status == "cancelled" and run.checker == "clean"
    assert run.plan_status == "FEASIBLE" and run.objective is not None
    assert load_instance(INSTANCES / "bench-M.json").name in client.get("/").text or True


SALESFORCE = INSTANCES.parent / "tests" / "data" / "rebalance" / "salesforce"


def _upload_export(client: TestClient, accounts: bytes) -> object:
    return client.post(
        "/import",
        data={"csrf": csrf(client), "name": "sf", "preset": "salesforce"},
        files={
            "accounts": ("accounts.csv", accounts, "text/csv"),
            "roster": ("roster.csv", (SALESFORCE / "roster.csv").read_bytes(), "text/csv"),
        },
    )


def test_a_crm_export_imports_and_a_broken_row_is_named(client: TestClient) -> None:
    good = (SALESFORCE / "accounts.csv").read_bytes()
    response = _upload_export(client, good)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(good.decode("utf-8-sig"))))
    rows[3][rows[0].index("ARR__c")] = "lots"  # the third account
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    broken = _upload_export(client, text.getvalue().encode())
    assert broken.status_code == 422  # type: ignore[attr-defined]
    assert "accounts.csv: row 4, column ARR__c" in broken.text  # type: ignore[attr-defined]
