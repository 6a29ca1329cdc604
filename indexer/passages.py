"""Document blocks → quotable passages: fragments merged, long paragraphs split, stable ids."""

from __future__ import annotations

from kb.models import Block, Link, LoadedDocument, Passage
from indexer.noncontent import passage_kind
from indexer.text import count_words, split_sentences

MIN_WORDS = 8
MAX_CHARS = 1200
PREAMBLE_ANCHOR = "debut"
_FINAL = tuple(".!?…»")
STANDALONE_KINDS = {"contact", "table"}


def _merge(a: Block, b: Block) -> Block:
    """`a` followed by `b`, as one block of `b`'s section when `a` precedes it."""
    sep = "\n" if a.kind == "item" or b.kind == "item" else " "
    return Block(
        b.kind if a.kind == "paragraph" else a.kind,
        a.text + sep + b.text,
        a.section,
        a.links + b.links,
        a.line,
        a.anchor,
        a.page if a.page is not None else b.page,
    )


def merge_fragments(blocks: list[Block]) -> list[Block]:
    """Fragments too short to stand alone join a neighbour of the same section: a sentence
    joins the block before it, a title-like line (no final punctuation) the block after it."""
    out: list[Block] = []
    pending: Block | None = None  # a title-like fragment waiting for the next block
    for block in blocks:
        if pending is not None:
            if pending.section == block.section and block.kind not in STANDALONE_KINDS:
                block = _merge(pending, block)
            else:
                out.append(pending)
            pending = None
        # A list item is a unit of its list ("Écrivez à vos représentants politiques."): kept.
        short = count_words(block.text) < MIN_WORDS and block.kind not in STANDALONE_KINDS | {"item"}
        if not short:
            out.append(block)
        elif block.text.rstrip().endswith(_FINAL) and out and out[-1].section == block.section and out[-1].kind not in STANDALONE_KINDS:
            out[-1] = _merge(out[-1], block)
        else:
            pending = block
    if pending is not None:
        if out and out[-1].section == pending.section and out[-1].kind not in STANDALONE_KINDS:
            out[-1] = _merge(out[-1], pending)
        else:
            out.append(pending)
    return out


def split_long(block: Block, max_chars: int = MAX_CHARS) -> list[Block]:
    """Split a long block at sentence boundaries into chunks under `max_chars`."""
    if len(block.text) <= max_chars or block.kind in STANDALONE_KINDS:
        return [block]
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(block.text):
        if current and len(current) + 1 + len(sentence) > max_chars:
            chunks.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        chunks.append(current)
    if len(chunks) > 1 and count_words(chunks[-1]) < MIN_WORDS:
        tail = chunks.pop()  # popped first: `chunks[-2] = … chunks.pop()` assigns after the pop
        chunks[-1] = f"{chunks[-1]} {tail}"
    return [
        Block(block.kind, chunk, block.section, [l for l in block.links if l.text in chunk], block.line, block.anchor, block.page)
        for chunk in chunks
    ]


def lead_in(text: str) -> str | None:
    """The end of a paragraph that announces a list (« …, il convient : »): its last sentence,
    with the ones before it until it says something on its own (« Cela signifie : » does not)."""
    if not text.rstrip().endswith(":"):
        return None
    sentences = split_sentences(text.strip())
    taken: list[str] = []
    while sentences and (not taken or count_words(" ".join(taken)) < MIN_WORDS):
        taken.insert(0, sentences.pop())
    return " ".join(taken)


def contexts(blocks: list[Block]) -> list[str | None]:
    """Each block's lead-in: the items of a list announced by the paragraph before them (same
    section) whose sentence continues it, i.e. starts in lower case (« d'estimer… »)."""
    out: list[str | None] = []
    current: str | None = None
    section: tuple[str, ...] | None = None
    for block in blocks:
        if block.kind != "item" or block.section != section:
            current, section = (lead_in(block.text) if block.kind != "item" else None), block.section
        first = block.text.lstrip()[:1]
        out.append(current if block.kind == "item" and first.islower() else None)
    return out


def make_passages(doc: LoadedDocument) -> list[Passage]:
    """Passages of a document in reading order, with ids `<doc>/<section-anchor>-<n>`."""
    blocks = [piece for block in merge_fragments(doc.blocks) for piece in split_long(block)]
    counters: dict[str, int] = {}
    passages: list[Passage] = []
    for position, (block, context) in enumerate(zip(blocks, contexts(blocks))):
        anchor = block.anchor or PREAMBLE_ANCHOR
        counters[anchor] = counters.get(anchor, 0) + 1
        local = f"{anchor}-{counters[anchor]}"
        links = _unique_links(block.links)
        passages.append(
            Passage(
                id=f"{doc.meta.id}/{local}",
                doc_id=doc.meta.id,
                section=block.section,
                anchor=local,
                text=block.text,
                position=position,
                links=links,
                context=context,
                page=block.page,
                kind=passage_kind(block.text, links),
            )
        )
    return passages


def _unique_links(links: list[Link]) -> list[Link]:
    seen: set[tuple[str, str]] = set()
    out = []
    for link in links:
        if (link.text, link.url) not in seen:
            seen.add((link.text, link.url))
            out.append(link)
    return out
