"""The static page in a real headless Chromium: it renders (screenshot), its script runs, and sorting works."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.leaderboards.publish import publish

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=120)


@pytest.fixture(scope="module")
def page(board_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    publish([board_dir], formats=["html"], out=out)
    return out / "leaderboard.html"


def _models_in_order(dom: str) -> list[str]:
    table = dom.split('id="leaderboard"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-model="([^"]+)"', table)


def test_dom_after_scripts(page: Path) -> None:
    res = _chromium("--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    dom = res.stdout
    assert '<body data-ready="1"' in dom, res.stderr[-2000:]  # the inline script ran
    assert _models_in_order(dom)[-1] == "hf:weak"
    assert dom.count("<svg") == 2 and 'id="plot-bars"' in dom and 'id="plot-heatmap"' in dom
    assert ">=1<" in dom  # the tie is marked


def test_sorting_from_the_url_fragment(page: Path) -> None:
    res = _chromium("--virtual-time-budget=3000", "--dump-dom", page.as_uri() + "#sort=aggregate:asc")
    order = _models_in_order(res.stdout)
    assert order[0] == "hf:weak" and order[1] == "openai:mid"
    assert 'data-sorted="aggregate:asc"' in res.stdout


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "board.png"
    res = _chromium("--window-size=1400,1000", "--virtual-time-budget=3000", f"--screenshot={shot}", page.as_uri())
    assert shot.exists(), res.stderr[-2000:]
    from PIL import Image

    img = Image.open(shot).convert("L")
    assert img.size == (1400, 1000)
    lo, hi = img.getextrema()
    assert hi - lo > 100  # not a blank page: text and plots drew
