"""The web dashboard: plain files from ``static/``, served at ``/`` (index.html) and ``/ui/...``.

Only these two prefixes are claimed, so every /api route, /healthz, /readyz and /openapi.json
keep reaching the Gateway; any other method on ``/`` falls through to it too (its JSON 404).
The page only calls the public HTTP API; nothing is built or fetched at run time.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
# Everything the page loads is its own: scripts, styles, fonts; QR codes are data: images.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


async def index(_request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "index.html",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"},
    )


def dashboard_routes() -> list[BaseRoute]:
    """Routes to place before the gateway's catch-all route."""
    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount("/ui", StaticFiles(directory=STATIC_DIR), name="ui"),
    ]
