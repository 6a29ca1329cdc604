"""End to end in headless Chromium against a real `kb serve` (waitress) over an index of corpus/."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.conftest_web import LiveServer

pytest_plugins = ["tests.conftest_web"]

DOC = "amnesty-ia-droits-humains"
ANCHOR = "1-surveillance-generalisee-et-discriminatoire-3"
PASSAGE = f"{DOC}/{ANCHOR}"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 360, "height": 780}


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh 1280 px page with clipboard access; fails the test on any console error (CSP included)."""
    context = browser.new_context(viewport=WIDE, base_url=live_server.url, locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, errors


def in_viewport(tab: Any, selector: str) -> bool:
    return bool(tab.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }""", selector))


@pytest.mark.browser
def test_find_filter_read_and_cite(page: Any, artifacts: Path) -> None:
    """The newcomer's path: search, filter by surveillance, open the document at the passage, copy the citation."""
    page.goto("/")
    page.get_by_label("Rechercher dans les passages").fill("reconnaissance faciale")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q=reconnaissance\+faciale"))
    result = page.locator("article.result", has=page.locator(f'a[href="/passages/{PASSAGE}#lies"]'))
    assert result.count() == 1
    assert result.locator(".snippet mark").first.inner_text() == "reconnaissance"
    page.screenshot(path=str(artifacts / "search-1280.png"), full_page=True)

    page.locator("aside.facets a.facet", has_text="Surveillance généralisée").click()
    page.wait_for_url(re.compile(r"category=surveillance"))
    chip = page.get_by_role("link", name=re.compile(r"^Retirer le filtre Catégorie\s*:\s*Surveillance"))
    assert chip.is_visible()
    badges = page.locator("article.result").evaluate_all(
        "(els) => els.map(e => [...e.querySelectorAll('.badges a')].map(a => a.getAttribute('href')))")
    assert badges and all("/categories/surveillance" in b for b in badges)
    page.screenshot(path=str(artifacts / "search-surveillance-1280.png"), full_page=True)

    result = page.locator("article.result", has=page.locator(f'a[href="/passages/{PASSAGE}#lies"]'))
    result.get_by_role("link", name="Lire dans le document").click()
    page.wait_for_url(re.compile(rf"/documents/{DOC}\?passage=.*#{ANCHOR}$"))
    target = f'[id="{ANCHOR}"]'
    assert page.locator(target).evaluate("(el) => el.matches(':target') && el.classList.contains('is-highlighted')")
    assert page.locator(target).evaluate("(el) => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert in_viewport(page, target)
    page.screenshot(path=str(artifacts / "reader-at-passage-1280.png"))

    passage = page.locator(target)
    details = passage.locator("details.cite")
    assert details.evaluate("(d) => d.open")  # the requested passage shows its citation already
    button = passage.get_by_role("button", name="Copier la citation")
    button.click()
    expected = passage.locator(".cite .citation").inner_text().strip()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert expected.startswith("« Les recherches menées par Amnesty International")
    assert "Amnesty International France" in expected and "https://www.amnesty.fr/communiques/" in expected
    assert "copiée" in passage.locator(".copy-status").inner_text()


@pytest.mark.browser
def test_pagination(page: Any, artifacts: Path) -> None:
    page.goto("/recherche?q=droits")
    first = page.locator("article.result .result-title a").evaluate_all("(els) => els.map(a => a.href)")
    assert len(first) == 10
    page.get_by_role("navigation", name="Pages de résultats").get_by_role("link", name="Page suivante ›").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("ol.results").get_attribute("start") == "11"
    second = page.locator("article.result .result-title a").evaluate_all("(els) => els.map(a => a.href)")
    assert second and not set(first) & set(second)
    assert page.locator('nav.pagination a[aria-current="page"]').inner_text().strip().endswith("2")
    page.screenshot(path=str(artifacts / "search-page2-1280.png"), full_page=True)


def _focused(tab: Any) -> dict[str, Any]:
    return tab.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {tag: e.tagName, id: e.id, cls: e.className, text: (e.innerText || '').trim(),
                inResult: !!e.closest('article.result'), outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }""")


@pytest.mark.browser
def test_keyboard_only(page: Any, artifacts: Path) -> None:
    """Tab to the search box, type, Enter; Tab reaches result links, each with a visible focus ring."""
    page.goto("/")
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["cls"] == "skip-link" and in_viewport(page, ".skip-link")
    for _ in range(15):
        if _focused(page)["id"] == "q":
            break
        page.keyboard.press("Tab")
    assert _focused(page)["id"] == "q"
    page.keyboard.type("droits humains")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q=droits\+humains"))
    for _ in range(40):
        page.keyboard.press("Tab")
        state = _focused(page)
        if state["inResult"] and state["tag"] == "A":
            break
    assert state["inResult"] and state["tag"] == "A", state
    assert state["outline"] != "none" and state["width"] >= 2
    page.screenshot(path=str(artifacts / "keyboard-focus-1280.png"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/passages/"))
    assert page.locator("h1").is_visible()


@pytest.mark.browser
def test_narrow_screens(browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    """360 px wide: no horizontal scrolling on any page; screenshots of the main ones."""
    context = browser.new_context(viewport=NARROW, base_url=live_server.url, device_scale_factor=1)
    tab = context.new_page()
    try:
        for name, url in [("home", "/"), ("search", "/recherche?q=reconnaissance+faciale&category=surveillance"),
                          ("reader", f"/documents/{DOC}?passage={PASSAGE}#{ANCHOR}"), ("passage", f"/passages/{PASSAGE}"),
                          ("category", "/categories/surveillance"), ("about", "/a-propos"), ("empty", "/recherche?q=zzzqqq")]:
            tab.goto(url)
            overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (url, overflow)
            tab.screenshot(path=str(artifacts / f"{name}-360.png"), full_page=name != "reader")
        # Opened at a passage (with its fragment, or by ?passage= alone): its first line is in view.
        for url in (f"/documents/{DOC}?passage={PASSAGE}#{ANCHOR}", f"/documents/{DOC}?passage={PASSAGE}"):
            tab.goto(url)
            tab.wait_for_timeout(200)
            top = tab.evaluate(f"document.getElementById('{ANCHOR}').getBoundingClientRect().top")
            assert 0 <= top < NARROW["height"] / 3, (url, top)
    finally:
        context.close()


@pytest.mark.browser
def test_wide_screenshots(page: Any, artifacts: Path) -> None:
    for name, url in [("home", "/"), ("passage", f"/passages/{PASSAGE}"), ("category", "/categories/surveillance"),
                      ("about", "/a-propos"), ("empty", "/recherche?q=zzzqqq")]:
        page.goto(url)
        page.screenshot(path=str(artifacts / f"{name}-1280.png"), full_page=True)


@pytest.mark.browser
def test_works_without_javascript(browser: Any, live_server: LiveServer) -> None:
    """No script: search and filters are links and forms; the citation is readable in its <details>."""
    context = browser.new_context(viewport=WIDE, base_url=live_server.url, java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto("/")
        tab.get_by_label("Rechercher dans les passages").fill("armes autonomes")
        tab.get_by_role("button", name="Rechercher").click()
        tab.wait_for_url(re.compile(r"q=armes\+autonomes"))
        first = tab.locator("article.result").first
        first.locator("details.cite summary").click()
        assert first.locator(".cite .citation").is_visible()
        assert first.locator(".cite .citation").inner_text().startswith("« ")
        assert not first.get_by_role("button", name="Copier la citation").is_visible()
    finally:
        context.close()


@pytest.mark.browser
def test_print_stylesheet(page: Any, artifacts: Path) -> None:
    """Printed, a results page is a debate sheet: no navigation, forms or buttons; citations spelled out."""
    page.goto("/recherche?q=reconnaissance+faciale")
    page.emulate_media(media="print")
    for hidden in (".site-header", "form[role=search]", "aside.facets", ".actions"):
        assert not page.locator(hidden).first.is_visible(), hidden
    citation = page.locator("article.result p.citation.print-only").first
    assert citation.is_visible() and "https://www.amnesty.fr/communiques/" in citation.inner_text()
    page.pdf(path=str(artifacts / "search-print.pdf"))
    page.goto(f"/passages/{PASSAGE}")  # a passage prints without its categorisation score
    assert page.locator(".explain-score").first.is_visible() is False and page.locator("#citation").is_visible()
    page.emulate_media(media="screen")
    assert page.locator(".explain-score").first.is_visible()


def _tab_to(tab: Any, test: str, limit: int = 120) -> None:
    """Press Tab until the focused element passes the JavaScript predicate `test` (keyboard only)."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if tab.evaluate(f"(() => {{ const e = document.activeElement; return !!({test}); }})()"):
            return
    raise AssertionError(f"no focusable element matches {test}")


def _tick_results(tab: Any, count: int) -> list[str]:
    """Tick the first `count` results' « Ajouter à la fiche » boxes with Tab and Space; their ids."""
    picked: list[str] = []
    for _ in range(count):
        _tab_to(tab, "e.type === 'checkbox' && e.name === 'p' && !e.checked && !e.disabled")
        tab.keyboard.press("Space")
        picked.append(tab.evaluate("document.activeElement.value"))
    return picked


@pytest.mark.browser
def test_debate_sheet_from_two_searches_printed_to_pdf(page: Any, artifacts: Path) -> None:
    """Keyboard only: tick results of two searches, reorder, rename, print the sheet to PDF; the
    PDF holds the passages and every source's URL, on one or two A4 pages."""
    from io import BytesIO

    from pypdf import PdfReader

    page.goto("/recherche?q=reconnaissance+faciale")
    picked = _tick_results(page, 2)
    _tab_to(page, "e.tagName === 'BUTTON' && e.textContent.includes('Ajouter la sélection')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/fiche\?"))
    assert page.locator(".sheet-item").count() == 2

    page.goto("/recherche?q=manifester")  # a second search: the sheet is remembered (localStorage)
    assert page.locator("#lien-fiche").inner_text().strip() == "Fiche (2)"
    picked += _tick_results(page, 1)
    _tab_to(page, "e.tagName === 'BUTTON' && e.textContent.includes('Ajouter la sélection')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/fiche\?"))
    ids = page.evaluate("new URLSearchParams(location.search).getAll('p')")
    assert ids == picked and len(set(ids)) == 3
    assert page.evaluate("document.cookie") == "" and page.context.cookies() == []

    _tab_to(page, "e.tagName === 'A' && e.textContent.trim() === 'dans mon ordre'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"ordre=choix"))
    _tab_to(page, "e.tagName === 'A' && e.textContent.startsWith('Descendre')")  # the first passage goes down
    page.keyboard.press("Enter")
    page.wait_for_function("(first) => new URLSearchParams(location.search).getAll('p')[0] === first", arg=ids[1])
    assert page.evaluate("new URLSearchParams(location.search).getAll('p')") == [ids[1], ids[0], ids[2]]
    _tab_to(page, "e.id === 'titre'")
    page.keyboard.type("Débat : surveillance et manifestations")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"titre="))
    assert page.locator("h1").inner_text() == "Débat : surveillance et manifestations"
    page.screenshot(path=str(artifacts / "sheet-1280.png"), full_page=True)

    texts = [page.locator(".sheet-item blockquote").nth(i).inner_text()[:40] for i in range(3)]
    sources = page.locator(".sheet-sources li").all_inner_texts()
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and not page.locator(".sheet-controls").first.is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    (artifacts / "sheet.pdf").write_bytes(pdf)
    reader = PdfReader(BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for start in texts:
        assert " ".join(start.split()[:4]) in text, start
    urls = re.findall(r"https://\S+?(?=[,\s(])", " ".join(sources))
    assert {"https://pauseia.fr/agir"} <= set(urls) and len(urls) == len(sources) == 2
    for url in urls:
        assert url in text.replace(" ", "") or url in text, url
    assert "Score" not in text and "Monter" not in text


def test_real_server_logs_one_line_per_request(live_server: LiveServer) -> None:
    """The waitress server logs method, path, status and duration of each request on stderr."""
    for path in ("/a-propos", "/api/search?limit=0"):
        try:
            urllib.request.urlopen(live_server.url + path, timeout=10).close()
        except urllib.error.HTTPError as exc:
            exc.close()
    log = live_server.log()
    assert re.search(r"GET /a-propos 200 \d+\.\d ms", log)
    assert re.search(r"GET /api/search 400 \d+\.\d ms", log)
    assert "limit=0" not in log
