"""The review workspace: a local web application (FastAPI, server-rendered pages) over the
workspace's SQLite store.

Import → scenario → solve (in the background, cancellable) → review (accept, reject or
lock each move) → re-plan with the decisions → compare runs → export the approved moves.
Security: a token is required whenever the server is not bound to loopback (set at
start; sent once as `?token=`, then kept in an HttpOnly cookie), every state-changing
request carries a CSRF token matching its cookie, uploads are size-limited and parsed by
the same strict readers as the command line, and every name is escaped.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlmodel import select
from starlette.datastructures import FormData, UploadFile

from allocator.analysis import diff_plans, move_reasons
from allocator.crm import import_files
from allocator.crm.export import move_list
from allocator.crm.presets import PRESETS, load_preset
from allocator.io import instance_from_dict, parse_json
from allocator.io.pages import CSP
from allocator.planning.comparison import comparison_row
from allocator.planning.segments import SegmentDesign, apply_design, parse_amount
from allocator.report import build_report
from allocator.schema import InputError, Instance, Policy, Problem, Solution
from allocator.workspace.pages import render, show_number, show_share
from allocator.workspace.runner import Runner
from allocator.workspace.store import DataSet, Decision, EditConflict, Run, Scenario, Store

MAX_UPLOAD = 50 * 1024 * 1024
"""Bytes per uploaded file (and per request body)."""
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
TOKEN_COOKIE, CSRF_COOKIE = "allocator_token", "allocator_csrf"
REVIEWER_COOKIE = "allocator_reviewer"
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ACTIONS = ("accept", "reject", "lock")


@dataclass
class Settings:
    folder: Path
    host: str = "127.0.0.1"
    token: str | None = None

    @property
    def needs_token(self) -> bool:
        return self.host not in LOOPBACK


class Refused(Exception):
    def __init__(self, status: int, text: str):
        self.status, self.text = status, text


def create_app(settings: Settings) -> FastAPI:
    """The application for one workspace folder."""
    if settings.needs_token and not settings.token:
        raise ValueError("binding beyond loopback needs a token (--token)")
    store = Store(settings.folder)
    store.recover()
    runner = Runner(store)
    app = FastAPI(title="allocator workspace", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store, app.state.runner = store, runner

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            _check_token(request, settings)
            if request.method not in ("GET", "HEAD"):
                size = int(request.headers.get("content-length") or 0)
                if size > MAX_UPLOAD * 4:
                    raise Refused(413, f"request too large (over {MAX_UPLOAD * 4:,} bytes)")
        except Refused as refused:
            return PlainTextResponse(refused.text, status_code=refused.status)
        if settings.token and request.query_params.get("token") == settings.token:
            response: Response = RedirectResponse(request.url.path, status_code=303)
            response.set_cookie(TOKEN_COOKIE, settings.token, httponly=True, samesite="strict")
            return response
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(CSRF_COOKIE, _csrf_value(request), httponly=True, samesite="strict")
        return response

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = render(template, csrf=_csrf_value(request), **context)
        return HTMLResponse(html, status_code=status)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        with store.session() as session:
            scenarios = session.exec(select(Scenario).order_by("id")).all()
            datasets = {d.id: d for d in session.exec(select(DataSet)).all()}
            runs = session.exec(select(Run).order_by(Run.id.desc())).all()  # type: ignore[union-attr]
        listed = []
        for s in scenarios:
            d = datasets[s.dataset_id]
            instance = Instance.model_validate_json(d.instance_json)
            listed.append((d, s, len(instance.accounts), len(instance.csms)))
        names = {s.id: s.name for s in scenarios}
        return page(
            request,
            "home",
            title="Workspace",
            datasets=listed,
            runs=[(r, names.get(r.scenario_id, "")) for r in runs],
        )

    @app.get("/import", response_class=HTMLResponse)
    def import_form(request: Request) -> HTMLResponse:
        return page(
            request, "import", title="Import", presets=sorted(PRESETS), name="", problems=[]
        )

    @app.post("/import", response_class=HTMLResponse)
    async def import_upload(request: Request) -> Response:
        form = await checked_form(request)
        name = str(form.get("name") or "").strip() or "imported"
        try:
            instance, source = await _imported(form)
        except InputError as error:
            return page(
                request,
                "import",
                status=422,
                title="Import",
                presets=sorted(PRESETS),
                name=name,
                problems=error.lines(),
            )
        with store.session() as session:  # one transaction: all of it or nothing
            dataset = DataSet(name=name, source=source, instance_json=instance.model_dump_json())
            session.add(dataset)
            session.flush()
            assert dataset.id is not None
            scenario = Scenario(
                dataset_id=dataset.id, name=name, policy_json=instance.policy.model_dump_json()
            )
            session.add(scenario)
            session.flush()
            target = f"/scenarios/{scenario.id}"
        return RedirectResponse(target, status_code=303)

    def scenario_page(
        request: Request, scenario_id: int, errors: list[str] | None = None, status: int = 200
    ) -> HTMLResponse:
        scenario, dataset, instance = _scenario(store, scenario_id)
        policy = Policy.model_validate_json(scenario.policy_json)
        ranged = sorted(policy.segments, key=lambda s: s.min_arr)
        return page(
            request,
            "scenario",
            status=status,
            title=f"Scenario {scenario.name}",
            scenario=scenario,
            dataset=dataset,
            accounts=len(instance.accounts),
            csms=len(instance.csms),
            policy=policy,
            thresholds=", ".join(f"{s.min_arr:,.0f}" for s in ranged[1:]),
            weights=list(policy.weights.model_dump().items()),
            errors=errors or [],
            decided=len(store.decisions(scenario_id)),
        )

    @app.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
    def scenario_view(request: Request, scenario_id: int) -> HTMLResponse:
        return scenario_page(request, scenario_id)

    @app.post("/scenarios/{scenario_id}", response_class=HTMLResponse)
    async def scenario_save(request: Request, scenario_id: int) -> Response:
        form = await checked_form(request)
        scenario, _, instance = _scenario(store, scenario_id)
        try:
            saved = Policy.model_validate_json(scenario.policy_json)
            policy = _edited_policy(instance.model_copy(update={"policy": saved}), form)
            version = int(str(form.get("version") or 0))
            store.save_scenario_policy(scenario_id, policy.model_dump_json(), version)
        except InputError as error:
            return scenario_page(request, scenario_id, error.lines(), status=422)
        except EditConflict as conflict:
            return scenario_page(request, scenario_id, [str(conflict)], status=409)
        return RedirectResponse(f"/scenarios/{scenario_id}", status_code=303)

    @app.post("/scenarios/{scenario_id}/solve")
    async def scenario_solve(request: Request, scenario_id: int) -> Response:
        form = await checked_form(request)
        scenario, _, instance = _scenario(store, scenario_id)
        try:
            time_limit = min(3600.0, max(1.0, float(str(form.get("time_limit") or 30))))
        except ValueError:
            return scenario_page(request, scenario_id, ["time limit: not a number"], status=422)
        solved = instance.model_copy(
            update={"policy": Policy.model_validate_json(scenario.policy_json)}
        )
        pins = _pins(store.decisions(scenario_id), solved)
        with store.session() as session:
            run = Run(
                scenario_id=scenario_id,
                time_limit=time_limit,
                pins_json=json.dumps(pins),
                instance_json=solved.model_dump_json(),
            )
            session.add(run)
            session.flush()
            run_id = run.id
        assert run_id is not None
        runner.start(run_id)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_view(request: Request, run_id: int) -> HTMLResponse:
        run, scenario = _run(store, run_id)
        moves, changed, previous = 0, None, None
        if run.solution_json:
            solution = Solution.model_validate_json(run.solution_json)
            moves = solution.moves
            earlier = _previous_run(store, run)
            if earlier is not None and solution.assignments:
                old = Solution.model_validate_json(earlier.solution_json)
                changed, previous = len(diff_plans(old, solution).changes), earlier.id
        busy = run.status in ("running", "queued", "cancelling")
        return page(
            request,
            "run",
            title=f"Run #{run.id}",
            run=run,
            scenario=scenario,
            moves=moves,
            changed=changed,
            previous=previous,
            presets=sorted(PRESETS),
            refresh=2 if busy else None,
        )

    @app.post("/runs/{run_id}/cancel")
    async def run_cancel(request: Request, run_id: int) -> Response:
        await checked_form(request)
        _run(store, run_id)
        runner.cancel(run_id)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.get("/runs/{run_id}/review", response_class=HTMLResponse)
    def review(
        request: Request,
        run_id: int,
        csm: str = "",
        segment: str = "",
        region: str = "",
        reviewer: str | None = None,
    ) -> HTMLResponse:
        run, scenario = _run(store, run_id)
        instance, solution = _solved(run)
        reasons = move_reasons(instance, solution)
        accounts = {a.id: a for a in instance.accounts}
        decisions = store.decisions(scenario.id or 0)
        rows = []
        for row in solution.assignments:
            if row.account not in reasons:
                continue
            account = accounts[row.account]
            rows.append(
                {
                    "account": row.account,
                    "name": account.name,
                    "segment": row.segment or "",
                    "region": account.region,
                    "from_csm": row.previous_csm or "(new)",
                    "to_csm": row.csm or "(pooled)",
                    "why": reasons[row.account].text,
                    "forced": reasons[row.account].forced or row.previous_csm is None,
                    "decision": _decision_text(decisions.get(row.account)),
                }
            )
        shown = [
            r
            for r in rows
            if (not csm or csm in (r["from_csm"], r["to_csm"]))
            and (not segment or r["segment"] == segment)
            and (not region or r["region"] == region)
        ]
        counts = Counter(d.action for d in decisions.values())
        who = (reviewer if reviewer is not None else request.cookies.get(REVIEWER_COOKIE, ""))[:80]
        response = page(
            request,
            "review",
            title=f"Review run #{run.id}",
            run=run,
            scenario=scenario,
            rows=shown,
            counts={a: counts.get(a, 0) for a in ACTIONS},
            filters={"csm": csm, "segment": segment, "region": region},
            csm_options=sorted({r["to_csm"] for r in rows} | {r["from_csm"] for r in rows}),
            segment_options=sorted({r["segment"] for r in rows}),
            region_options=sorted({r["region"] for r in rows}),
            who=who,
        )
        if reviewer is not None:
            response.set_cookie(REVIEWER_COOKIE, who, httponly=True, samesite="strict")
        return response

    @app.post("/runs/{run_id}/decide")
    async def decide(request: Request, run_id: int) -> Response:
        form = await checked_form(request)
        run, scenario = _run(store, run_id)
        _, solution = _solved(run)
        account, action = str(form.get("account") or ""), str(form.get("action") or "")
        row = next((r for r in solution.assignments if r.account == account), None)
        if row is None or action not in ACTIONS:
            return PlainTextResponse("unknown account or action", status_code=422)
        if action == "reject" and (row.forced or row.previous_csm is None):
            return PlainTextResponse(
                f"{account} cannot stay where it is (a forced move or a new account): "
                "accept it, or lock it to a CSM",
                status_code=422,
            )
        with store.session() as session:
            session.add(
                Decision(
                    scenario_id=scenario.id or 0,
                    run_id=run_id,
                    account=account,
                    action=action,
                    to_csm=row.csm or "",
                    from_csm=row.previous_csm or "",
                    who=str(form.get("who") or "reviewer")[:80],
                    comment=str(form.get("comment") or "")[:2000],
                )
            )
        return RedirectResponse(f"/runs/{run_id}/review", status_code=303)

    @app.post("/runs/{run_id}/accept-rest")
    async def accept_rest(request: Request, run_id: int) -> Response:
        """Accept every move of the run that has no decision for its proposed owner yet."""
        form = await checked_form(request)
        run, scenario = _run(store, run_id)
        instance, solution = _solved(run)
        reasons = move_reasons(instance, solution)
        decided = store.decisions(scenario.id or 0)
        who = str(form.get("who") or "reviewer")[:80]
        with store.session() as session:
            for row in solution.assignments:
                done = decided.get(row.account)
                if row.account in reasons and (done is None or done.to_csm != (row.csm or "")):
                    session.add(
                        Decision(
                            scenario_id=scenario.id or 0,
                            run_id=run_id,
                            account=row.account,
                            action="accept",
                            to_csm=row.csm or "",
                            from_csm=row.previous_csm or "",
                            who=who,
                            comment="accepted with the rest",
                        )
                    )
        return RedirectResponse(f"/runs/{run_id}/review", status_code=303)

    @app.get("/compare", response_class=HTMLResponse)
    def compare(request: Request, run: Annotated[list[int] | None, Query()] = None) -> HTMLResponse:
        rows = []
        for run_id in run or []:
            found, _ = _run(store, run_id)
            instance, solution = _solved(found)
            rows.append(comparison_row(str(run_id), instance, solution, found.checker, None))
        fields = [
            ("status", "status", str),
            ("objective", "objective", show_number),
            ("proven bound", "bound", show_number),
            ("gap", "gap", show_share),
            ("moves", "moves", str),
            ("CSMs", "csms", str),
            ("utilisation max", "utilisation_max", show_share),
            ("utilisation min", "utilisation_min", show_share),
            ("checker", "checker", str),
        ]
        segments = sorted({s for r in rows for s in r.cost_to_arr})
        return page(
            request,
            "compare",
            title="Compare runs",
            rows=[vars(r) | {"cost_to_arr": r.cost_to_arr} for r in rows],
            fields=fields,
            segments=segments,
        )

    @app.get("/runs/{run_id}/csms", response_class=HTMLResponse)
    def csms(request: Request, run_id: int) -> HTMLResponse:
        run, _ = _run(store, run_id)
        _, solution = _solved(run)
        rows = [r for r in solution.csm_summary if not r.leaving]
        return page(request, "csms", title=f"CSMs in run #{run.id}", rows=rows)

    @app.get("/runs/{run_id}/report", response_class=HTMLResponse)
    def report(run_id: int) -> HTMLResponse:
        run, _ = _run(store, run_id)
        instance, solution = _solved(run)
        response = HTMLResponse(build_report(instance, solution))
        response.headers["Content-Security-Policy"] = CSP  # the report's own: inline charts
        return response

    @app.get("/runs/{run_id}/export")
    def export(run_id: int, preset: str = "salesforce") -> Response:
        run, scenario = _run(store, run_id)
        instance, solution = _solved(run)
        if preset not in PRESETS:
            return PlainTextResponse("unknown preset", status_code=422)
        # approved: accepted or locked for the owner this run gives the account
        owners = {r.account: r.csm or "" for r in solution.assignments}
        approved = {
            a
            for a, d in store.decisions(scenario.id or 0).items()
            if d.action in ("accept", "lock") and d.to_csm == owners.get(a)
        }
        # Only approved changes go out: any other account keeps its owner in the file.
        rows = [
            r
            if r.account in approved or r.csm == r.previous_csm
            else r.model_copy(update={"csm": r.previous_csm, "moved": False})
            for r in solution.assignments
        ]
        frame = move_list(
            instance, solution.model_copy(update={"assignments": rows}), load_preset(preset).export
        )
        body = frame.to_csv(index=False)
        name = f"approved-moves-run{run_id}-{preset}.csv"
        return Response(
            body,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.exception_handler(LookupError)
    async def not_found(request: Request, error: LookupError) -> Response:
        return HTMLResponse(render("message", title="Not found", text=str(error)), status_code=404)

    return app


# --- helpers ----------------------------------------------------------------------------
def _check_token(request: Request, settings: Settings) -> None:
    if not settings.needs_token:
        return
    given = (
        request.cookies.get(TOKEN_COOKIE)
        or request.query_params.get("token")
        or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    )
    if not given or not secrets.compare_digest(given, settings.token or ""):
        raise Refused(401, "a token is required: open the address printed by allocate serve")


def _csrf_value(request: Request) -> str:
    value = request.cookies.get(CSRF_COOKIE)
    if value is None:
        value = getattr(request.state, "csrf", None) or secrets.token_urlsafe(24)
        request.state.csrf = value
    return value


async def checked_form(request: Request) -> FormData:
    """The request's form, once its CSRF token matches the cookie's; else HTTP 403."""
    form = await request.form()
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page")
    return form


async def _upload(part: Any, folder: Path, name: str) -> Path | None:
    if not isinstance(part, UploadFile) or not part.filename:
        return None
    suffix = Path(part.filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".json"):
        raise InputError(part.filename, [_problem("file", f"unsupported type {suffix!r}")])
    # the user's file name (made safe) so that problems name the file they chose
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(part.filename).stem)[:80] or name
    sub = folder / name
    sub.mkdir()
    target = sub / f"{stem}{suffix}"
    size = 0
    with target.open("wb") as handle:
        while chunk := await part.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise InputError(part.filename, [_problem("file", f"over {MAX_UPLOAD:,} bytes")])
            handle.write(chunk)
    return target


def _problem(field: str, message: str) -> Problem:
    return Problem("upload", field, message)


async def _imported(form: FormData) -> tuple[Instance, str]:
    """The instance from the uploads, or an `InputError` with every problem (naming the
    uploaded files, not where they were kept)."""
    with tempfile.TemporaryDirectory(prefix="allocator-upload-") as tmp:
        try:
            return await _read_uploads(form, Path(tmp))
        except InputError as error:
            # "<tmp>/accounts/export.csv" -> "export.csv"
            error.source = error.source.replace(f"{tmp}/", "").split("/", 1)[-1]
            raise


async def _read_uploads(form: FormData, folder: Path) -> tuple[Instance, str]:
    instance_file = await _upload(form.get("instance"), folder, "instance")
    if instance_file is not None:
        text = instance_file.read_text(encoding="utf-8", errors="replace")
        return instance_from_dict(parse_json(text, "instance"), "instance"), "instance JSON"
    accounts = await _upload(form.get("accounts"), folder, "accounts")
    roster = await _upload(form.get("roster"), folder, "roster")
    mapping = await _upload(form.get("mapping"), folder, "mapping")
    if accounts is None or roster is None:
        raise InputError("upload", [_problem("files", "give the accounts export and the roster")])
    preset = str(mapping) if mapping is not None else str(form.get("preset") or "salesforce")
    imported = import_files(accounts, roster, preset)
    return imported.instance, f"{accounts.name} + {roster.name} ({preset})"


def _edited_policy(instance: Instance, form: FormData) -> Policy:
    """The policy with the form's knobs, validated; `InputError` naming each bad field."""
    problems = []
    policy = instance.policy
    caps: dict[str, int] = {}
    for segment in policy.segments:
        raw = str(form.get(f"cap:{segment.name}") or "").strip()
        if raw:
            if raw.isdigit():
                caps[segment.name] = int(raw)
            else:
                problems.append(
                    Problem("segments", segment.name, f"cap {raw!r} is not a whole number")
                )
    thresholds: tuple[float, ...] = ()
    raw_thresholds = str(form.get("thresholds") or "").replace(",", " ").split()
    try:
        thresholds = tuple(parse_amount(t) for t in raw_thresholds)
    except ValueError as error:
        problems.append(Problem("thresholds", "", str(error)))
    continuity: dict[str, Any] = {}
    for field, target in (("max_moves", continuity), ("freeze_days", continuity)):
        raw = str(form.get(field) or "").strip()
        if raw == "" and field == "max_moves":
            target[field] = None
        elif raw.isdigit():
            target[field] = int(raw)
        else:
            problems.append(Problem("continuity", field, f"{raw!r} is not a whole number"))
    band_raw = str(form.get("band") or "").strip()
    band: float | None = None
    try:
        band = float(band_raw) if band_raw else None
    except ValueError:
        problems.append(Problem("balance", "band", f"{band_raw!r} is not a number"))
    weights = {}
    for name in type(policy.weights).model_fields:
        raw = str(form.get(f"weight:{name}") or "").strip()
        try:
            weights[name] = float(raw)
        except ValueError:
            problems.append(Problem("weights", name, f"{raw!r} is not a number"))
    if problems:
        raise InputError("scenario", problems)
    try:
        data = policy.model_dump()
        data["continuity"].update(continuity)
        data["balance"]["band"] = band
        data["weights"].update(weights)
        edited = Policy.model_validate(data)
    except ValueError as error:
        raise InputError("scenario", [Problem("policy", "", str(error).splitlines()[0])]) from None
    design = SegmentDesign(thresholds, caps)
    edited_instance = instance.model_copy(update={"policy": edited})
    return apply_design(edited_instance, design, "scenario").policy


def _decision_text(decision: Decision | None) -> str:
    if decision is None:
        return ""
    note = f": {decision.comment}" if decision.comment else ""
    return f"{decision.action} by {decision.who}, {decision.at:%Y-%m-%d %H:%M}{note}"


def _pins(decisions: dict[str, Decision], instance: Instance) -> dict[str, str]:
    """Rejected moves keep the account with its current owner; locked ones with the owner
    proposed when it was locked."""
    owners = {a.id: a.current_csm for a in instance.accounts}
    csms = {c.id for c in instance.csms if not c.leaving}
    pins = {}
    for account, decision in decisions.items():
        target = owners.get(account) if decision.action == "reject" else decision.to_csm
        if decision.action in ("reject", "lock") and target in csms:
            pins[account] = str(target)
    return pins


def _scenario(store: Store, scenario_id: int) -> tuple[Scenario, DataSet, Instance]:
    with store.session() as session:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None:
            raise LookupError(f"no scenario {scenario_id}")
        dataset = session.get(DataSet, scenario.dataset_id)
        assert dataset is not None
    return scenario, dataset, Instance.model_validate_json(dataset.instance_json)


def _run(store: Store, run_id: int) -> tuple[Run, Scenario]:
    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise LookupError(f"no run {run_id}")
        scenario = session.get(Scenario, run.scenario_id)
        assert scenario is not None
    return run, scenario


def _solved(run: Run) -> tuple[Instance, Solution]:
    if not run.solution_json:
        raise LookupError(f"run {run.id} has no plan yet")
    return Instance.model_validate_json(run.instance_json), Solution.model_validate_json(
        run.solution_json
    )


def _previous_run(store: Store, run: Run) -> Run | None:
    with store.session() as session:
        earlier = session.exec(
            select(Run)
            .where(Run.scenario_id == run.scenario_id, Run.id < (run.id or 0))  # type: ignore[operator]
            .order_by(Run.id.desc())  # type: ignore[union-attr]
        ).all()
    return next((r for r in earlier if r.solution_json), None)
