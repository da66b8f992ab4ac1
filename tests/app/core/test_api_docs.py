"""/docs and /redoc load their scripts and styles from the app itself: a network that blocks CDNs
(as NHS networks do) still shows them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_everything_from_the_app(anonymous_client: TestClient, page: str) -> None:
    html = anonymous_client.get(page)
    assert html.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', html.text) + re.findall(
        r"url: ['\"]([^'\"]+)['\"]", html.text
    )
    scripts = [a for a in assets if a.endswith((".js", ".css"))]
    assert scripts, html.text
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
    assert "cdn" not in html.text.lower() and "fonts.googleapis" not in html.text
    for script in scripts:
        answer = anonymous_client.get(script)
        assert answer.status_code == 200, script
        assert len(answer.content) > 100_000, script  # the real bundle, not a stub
