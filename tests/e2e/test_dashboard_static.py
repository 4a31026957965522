"""The gateway serves the dashboard's files at / and /ui/ without taking any API route, and the
files load nothing from elsewhere (no CDN, no build step). No browser and no service needed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.gateway.app import create_app
from services.gateway.dashboard import STATIC_DIR
from services.gateway.routes import RouteTable
from services.gateway.settings import Settings

MODULES = ["api", "app", "auth", "bots", "charts", "dom", "ledger", "orders", "portfolio"]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    table = RouteTable.discover()
    settings = Settings(service_addrs={d: "127.0.0.1:1" for d in table.domains})  # none runs
    app, _gateway = create_app(settings, TracerProvider(), table)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
        yield c


async def test_the_page_and_its_modules_are_served(client):
    r = await client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/ui/app.js"></script>' in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert (await client.head("/")).status_code == 200
    for name in MODULES:
        r = await client.get(f"/ui/{name}.js")
        assert r.status_code == 200, name
        assert "javascript" in r.headers["content-type"], name
        for imported in re.findall(r'from "\./([a-z]+\.js)"', r.text):
            assert (STATIC_DIR / imported).is_file(), f"{name}.js imports a missing {imported}"
    assert (await client.get("/ui/style.css")).headers["content-type"].startswith("text/css")


async def test_api_and_service_routes_are_not_shadowed(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.")
    for method, path in [("GET", "/api/nothing"), ("POST", "/"), ("GET", "/static/app.js")]:
        r = await client.request(method, path)
        assert r.status_code == 404, (method, path)
        assert r.json()["details"][0]["reason"] == "NO_ROUTE", (method, path)
    r = await client.get("/api/bots")  # a real route: reaches the gateway (no token here)
    assert r.status_code in (401, 503) and set(r.json()) == {"code", "message", "details"}


async def test_files_outside_the_folder_are_not_served(client):
    for path in ["/ui/../app.py", "/ui/%2e%2e/app.py", "/ui/missing.js"]:
        assert (await client.get(path)).status_code == 404, path


def test_nothing_is_fetched_from_elsewhere():
    svg_namespace = "http://www.w3.org/2000/svg"
    for path in STATIC_DIR.iterdir():
        text = path.read_text().replace(svg_namespace, "")
        assert not re.search(r"https?://|//[a-z0-9-]+\.[a-z]", text), f"{path.name} links elsewhere"
        assert "innerHTML" not in text, f"{path.name}: API text must be set as text"
