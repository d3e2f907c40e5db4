"""`allocate serve`: the review workspace in a browser (the `web` extra)."""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from pathlib import Path

import click

from allocator.cli.common import EXIT_INPUT, err, guarded, out


@click.command("serve")
@click.option(
    "--workspace",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("allocator-workspace"),
    show_default=True,
    help="Folder of the workspace's database (created when missing).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--token",
    default=None,
    help="Required of every request when --host is not loopback (default: $ALLOCATOR_TOKEN); "
    "binding beyond loopback without one is refused.",
)
@guarded
def serve_command(folder: Path, host: str, port: int, token: str | None) -> None:
    """Serve the review workspace: import, plan, review, approve, export."""
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        err.print("the workspace needs the web extra: pip install -e '.[web]'")
        sys.exit(EXIT_INPUT)
    import uvicorn

    from allocator.workspace.app import Settings, create_app

    settings = Settings(folder=folder, host=host, token=token or os.environ.get("ALLOCATOR_TOKEN"))
    if settings.needs_token and not settings.token:
        err.print(
            f"--host {host}: binding beyond loopback needs a token, or anyone who can reach "
            f"the port could read and change the plans: give --token (e.g. --token "
            f"{secrets.token_urlsafe(18)}) or set ALLOCATOR_TOKEN"
        )
        sys.exit(EXIT_INPUT)
    app = create_app(settings)
    address = f"http://{host}:{port}/"
    if settings.needs_token:
        out.print(f"Open {address}?token={settings.token} (the token is required off loopback)")
    else:
        out.print(f"Open {address} (loopback only; Ctrl-C stops the server)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
