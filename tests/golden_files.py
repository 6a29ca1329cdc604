"""The golden-file check both golden tests share: outputs compared byte for byte with the file,
or written to it on purpose (KB_GOLDEN_UPDATE=1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def check_golden(outputs: dict[str, str], golden_path: Path) -> None:
    """Fail naming the first output that differs from `golden_path` (or write it, when asked)."""
    if os.environ.get("KB_GOLDEN_UPDATE") == "1":
        golden_path.write_text(json.dumps(outputs, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip(f"golden outputs written to {golden_path}")
    golden = json.loads(golden_path.read_text(encoding="utf-8"))
    assert sorted(outputs) == sorted(golden), "the set of golden requests changed: regenerate on purpose"
    different = [key for key in golden if outputs[key] != golden[key]]
    assert not different, f"{len(different)} output(s) differ, first: {different[0]}\n--- golden\n{golden[different[0]][:1500]}\n--- now\n{outputs[different[0]][:1500]}"
