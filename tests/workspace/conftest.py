"""A workspace app on a fresh folder, and helpers to drive it as a browser would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from allocator.workspace.app import CSRF_COOKIE, Settings, create_app
from allocator.workspace.store import Run


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(folder=tmp_path / "ws"))
    with TestClient(app, follow_redirects=False) as test_client:
        test_client.get("/")  # the CSRF cookie
        yield test_client


def csrf(client: TestClient) -> str:
    return str(client.cookies.get(CSRF_COOKIE))


def import_instance(client: TestClient, path: Path, name: str = "book") -> int:
    """Upload an instance JSON; the new scenario's id."""
    with path.open("rb") as handle:
        response = client.post(
            "/import",
            data={"csrf": csrf(client), "name": name},
            files={"instance": (path.name, handle, "application/json")},
        )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def solve(client: TestClient, scenario_id: int, seconds: int = 10) -> int:
    response = client.post(
        f"/scenarios/{scenario_id}/solve", data={"csrf": csrf(client), "time_limit": seconds}
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def wait(client: TestClient, run_id: int, timeout: float = 120) -> Run:
    store = client.app.state.store  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.session() as session:
            run = session.get(Run, run_id)
            assert run is not None
            if run.status not in ("queued", "running", "cancelling"):
                return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run.status}")
