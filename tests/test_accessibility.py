"""Every page kind at a laptop's and a phone's size, in headless Chromium against a real `kb serve`:
axe-core (from the npm registry, tests/package.json) finds no violation and leaves no colour
contrast undecided; the first result is within the first screen; tap targets are 24 px or more.

axe is injected as an init script through the DevTools protocol, which the site's Content
Security Policy does not govern: the pages checked are exactly the ones served."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.conftest_web import LiveServer

pytest_plugins = ["tests.conftest_web"]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
INSTALL_AXE = "npm ci --prefix tests"
SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
PASSAGE = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3"
PAGE_KINDS = {
    "home": "/",
    "results": "/recherche?q=services+publics",
    "filtered results": "/recherche?q=reconnaissance+faciale&category=surveillance",
    "results by words and meaning": "/recherche?q=je+peux+faire+quoi",  # « 33 passages (17 contiennent les mots, 16 proches par le sens) »
    "results by meaning alone": "/recherche?q=juriste&mode=hybrid&exact=1",
    "no results": "/recherche?q=zzzqqq",
    "passage": f"/passages/{PASSAGE}",
    "document": f"/documents/amnesty-ia-droits-humains?passage={PASSAGE}&q=surveillance",
    "documents": "/documents",
    "category": "/categories/surveillance",
    "categories": "/categories",
    "sheet": f"/fiche?p={PASSAGE}&p=passez-a-l-action/voici-ce-que-vous-pouvez-faire-1",
    "about": "/a-propos",
    "not found": "/documents/nexistepas",
    "bad parameter": "/recherche?q=x&page=0",
}
# WCAG 2.0–2.2 A and AA, and axe's best practices.
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete']});
  const nodes = (rule) => rule.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || (n.any[0] || {}).message || ''));
  return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, nodes: nodes(v)})),
          contrast: r.incomplete.filter(v => v.id.startsWith('color-contrast')).map(v => ({id: v.id, nodes: nodes(v)}))};
}"""


@pytest.fixture(scope="module")
def axe_installed() -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE} missing): run `{INSTALL_AXE}` (make test does)")


@pytest.fixture(scope="module", params=list(SIZES))
def sized_tab(request: pytest.FixtureRequest, browser: Any, live_server: LiveServer) -> Iterator[tuple[str, Any]]:
    """One tab per size for the whole module, with axe (when installed) loaded in every page it opens."""
    context = browser.new_context(viewport=SIZES[request.param], base_url=live_server.url, locale="fr-FR")
    if AXE.exists():
        context.add_init_script(path=str(AXE))
    tab = context.new_page()
    yield request.param, tab
    context.close()


@pytest.mark.browser
@pytest.mark.usefixtures("axe_installed")
def test_axe_finds_nothing_on_any_page_kind(sized_tab: tuple[str, Any]) -> None:
    """Zero violations and zero undecided contrast checks, on every page kind, at both sizes."""
    size, tab = sized_tab
    problems = {}
    for kind, url in PAGE_KINDS.items():
        tab.goto(url)
        found = tab.evaluate(RUN_AXE, RULES)
        if found["violations"] or found["contrast"]:
            problems[kind] = found
    assert not problems, f"at the {size} size: {problems}"


@pytest.mark.browser
def test_first_result_is_within_the_first_screen(sized_tab: tuple[str, Any], artifacts: Path) -> None:
    """Search, then see a result without scrolling: its heading and the start of its text."""
    size, tab = sized_tab
    tab.goto(PAGE_KINDS["results"])
    box = tab.locator("article.result").first.bounding_box()
    snippet = tab.locator("article.result .snippet").first.bounding_box()
    height = SIZES[size]["height"]
    assert box is not None and snippet is not None
    assert box["y"] < height / 2, (size, box)  # the result starts in the top half…
    assert snippet["y"] + 24 < height, (size, snippet)  # …and its text is on screen
    # What the controls do is still there: the tips, the exports, the selection's button.
    assert tab.locator("form[role=search] details.hint").count() == 1
    assert tab.get_by_role("button", name="Ajouter la sélection à la fiche").last.is_visible()
    tab.screenshot(path=str(artifacts / f"results-{SIZES[size]['width']}.png"))


@pytest.mark.browser
def test_checkboxes_are_tap_targets_of_24_px(sized_tab: tuple[str, Any]) -> None:
    """WCAG 2.2 target size (minimum): each « Ajouter à la fiche » box is at least 24 × 24 CSS px."""
    _, tab = sized_tab
    tab.goto(PAGE_KINDS["results"])
    sizes = tab.locator("article.result input[type=checkbox]").evaluate_all(
        "(els) => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })")
    assert sizes and all(w >= 24 and h >= 24 for w, h in sizes), sizes
    # Tapped, then added with the button after the results (the only one shown on a phone).
    tab.evaluate("localStorage.clear()")  # no sheet remembered from the pages visited before
    box = tab.locator("article.result input[type=checkbox]").first
    box.click()
    picked = box.get_attribute("value")
    tab.get_by_role("button", name="Ajouter la sélection à la fiche").last.click()
    tab.wait_for_url(re.compile(r"/fiche\?"))
    assert tab.evaluate("new URLSearchParams(location.search).getAll('p')") == [picked]
