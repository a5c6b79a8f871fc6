"""A worker's web server serves health, readiness and metrics only."""

from __future__ import annotations

from streams.app import create_app
from streams.settings import load_settings


def test_faust_table_router_graph_and_stats_views_are_off() -> None:
    app = create_app(load_settings(app_id="samflyt-web-test"), web_port=6099)
    served = {prefix for prefix, _ in app.web._enabled_blueprints()}
    assert not served & {"/table", "/router", "/graph"}
    assert "faust.web.apps.stats:blueprint" not in {bp for _, bp in app.web._enabled_blueprints()}
