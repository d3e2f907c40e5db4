"""The workspace's storage: SQLite through SQLModel, in the workspace folder.

Tables: data sets (an imported instance and the problems found), scenarios (a data set
plus policy edits, with a version for edit conflicts), runs (plan, bound, gap, checker
verdict, timings, progress) and review decisions (who, when, accept / reject / lock,
comment). Every write is one transaction; SQLite's journal makes a crash leave the last
committed state. The schema version is kept in the database and upgraded in place
(`MIGRATIONS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, text
from sqlmodel import Field, Session, SQLModel, create_engine, select

SCHEMA_VERSION = 1
DATABASE = "workspace.sqlite"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class DataSet(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    created: dt.datetime = Field(default_factory=_now)
    source: str = ""
    instance_json: str
    problems: str = ""  # one per line, as the CLI reports them


class Scenario(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    name: str
    policy_json: str  # the policy the scenario solves with
    version: int = 1
    updated: dt.datetime = Field(default_factory=_now)


class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    status: str = "queued"  # queued, running, done, failed, cancelled, interrupted
    started: dt.datetime = Field(default_factory=_now)
    finished: dt.datetime | None = None
    time_limit: float = 30.0
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    plan_status: str = ""
    checker: str = ""
    progress: str = ""
    pins_json: str = "{}"
    instance_json: str = ""  # what was solved (the scenario at the time, with pins)
    solution_json: str = ""
    error: str = ""
    pid: int | None = None


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    run_id: int = Field(foreign_key="run.id")
    account: str = Field(index=True)
    action: str  # accept, reject, lock
    to_csm: str = ""  # the proposed owner when decided
    from_csm: str = ""
    who: str = ""
    at: dt.datetime = Field(default_factory=_now)
    comment: str = ""


class EditConflict(Exception):
    """The scenario changed since the page was loaded (another tab saved first)."""


def _upgrade_none(engine: Engine) -> None:  # version 0 -> 1: the tables themselves
    SQLModel.metadata.create_all(engine)


MIGRATIONS: dict[int, Callable[[Engine], None]] = {0: _upgrade_none}
"""Upgrades from each schema version to the next."""


class Store:
    """The workspace database."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DATABASE
        self.engine = create_engine(
            f"sqlite:///{self.path}", connect_args={"check_same_thread": False}
        )
        event.listen(self.engine, "connect", _sqlite_settings)
        self._migrate()

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)"))
            row = conn.execute(text("SELECT version FROM schema_version")).first()
            version = 0 if row is None else int(row[0])
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](self.engine)
            version += 1
            with self.engine.begin() as conn:
                conn.execute(text("DELETE FROM schema_version"))
                conn.execute(text("INSERT INTO schema_version VALUES (:v)"), {"v": version})

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def save_scenario_policy(self, scenario_id: int, policy_json: str, version: int) -> Scenario:
        """Save a scenario's policy if nobody saved since `version`; else `EditConflict`."""
        with self.session() as session:
            scenario = session.get(Scenario, scenario_id)
            if scenario is None:
                raise KeyError(scenario_id)
            if scenario.version != version:
                raise EditConflict(
                    f"scenario {scenario.name!r} was changed (version {scenario.version}) "
                    f"since this page loaded it (version {version}): reload it, then redo "
                    "your edits"
                )
            scenario.policy_json = policy_json
            scenario.version += 1
            scenario.updated = _now()
            session.add(scenario)
            return scenario

    def decisions(self, scenario_id: int) -> dict[str, Decision]:
        """The latest decision per account of a scenario."""
        with self.session() as session:
            rows = session.exec(
                select(Decision).where(Decision.scenario_id == scenario_id).order_by("id")
            ).all()
        return {d.account: d for d in rows}

    def recover(self) -> int:
        """Runs left 'running' or 'queued' by a crash or restart: marked interrupted."""
        with self.session() as session:
            stale = session.exec(select(Run).where(Run.status.in_(["running", "queued"]))).all()  # type: ignore[attr-defined]
            for run in stale:
                run.status = "interrupted"
                run.error = "the workspace stopped while this run was solving: solve again"
                run.finished = _now()
                session.add(run)
            return len(stale)


def _sqlite_settings(connection: object, _: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
