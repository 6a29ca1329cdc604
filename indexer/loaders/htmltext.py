"""Plain text and links out of HTML fragments: code, comments and styles never get through."""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning

from kb.models import Link

DROPPED_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object", "code", "pre", "sup")
_SPACES = re.compile(r"\s+")
# Svelte/JS template expressions such as {lang} or {#if x}: a link target holding one is not an address.
_TEMPLATE_EXPR = re.compile(r"\{[^{}\n]{0,200}\}")
# What is really markup in running text, and only that (braces are also text: `\end{document}`,
# `f{x}`, « {1, 2, 3} »): Svelte's block and special tags ({#if x}, {:else}, {/if}, {@html x}),
# attribute lists of headings and blocks ({#anchor .class}, {.class}, {: .class}), and an
# expression that is a name on its own ({lang}, {data.title}, {$page}), not glued to a word.
_TEMPLATE_MARKUP = re.compile(
    r"\{[#:/@][^{}\n]{0,200}\}"
    r"|\{\.[A-Za-z_][^{}\n]{0,200}\}"
    r"|(?<![\w\\])\{\s*\$?[A-Za-z_][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*\}"
)


def parse_fragment(html: str, strip: bool = True) -> BeautifulSoup:
    """Parse HTML with lxml (3-4x faster than html.parser on large pages, tolerant of broken
    markup); markup-like text is not a warning, nor XHTML's XML declaration (XHTML is HTML here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "lxml")
    if strip:
        strip_code(soup)
    return soup


def strip_code(soup: BeautifulSoup | Tag) -> None:
    """Remove scripts, styles, code and comments in place."""
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()


def clean_url(url: str, language: str) -> str | None:
    """A usable link target: Svelte's {lang} filled in, empty or '#' targets rejected."""
    url = (url or "").strip().replace("{lang}", language)
    if not url or url == "#" or _TEMPLATE_EXPR.search(url) or url.lower().startswith("javascript:"):
        return None
    return url


def strip_template_markup(text: str) -> str:
    """`text` without the template and attribute markup of _TEMPLATE_MARKUP; other braces kept."""
    return _TEMPLATE_MARKUP.sub("", text)


def text_and_links(node: Tag | BeautifulSoup, language: str) -> tuple[str, list[Link]]:
    """Visible text of a node (whitespace collapsed) and its links."""
    if node.find(DROPPED_TAGS) is not None:
        strip_code(node)
    links: list[Link] = []
    for a in node.find_all("a"):
        url = clean_url(str(a.get("href") or ""), language)
        label = _SPACES.sub(" ", a.get_text(" ")).strip()
        if url and label:
            links.append(Link(label, url))
    text = _SPACES.sub(" ", node.get_text(" ")).strip()
    text = re.sub(r"\s+([,.)])", r"\1", text)
    return strip_template_markup(text).strip(), links
