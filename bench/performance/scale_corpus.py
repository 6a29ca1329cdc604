"""Fetches the scale corpus: Debian's French LibreOffice help (2,561 HTML pages), unpacked
into bench/cache/ with `apt-get download` + `dpkg -x` (nothing is installed system-wide)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "libreoffice-help-fr"
CACHE = Path(__file__).resolve().parents[1] / "cache"
HELP_DIR = CACHE / PACKAGE / "usr" / "share" / "libreoffice" / "help" / "fr"


def fetch(cache: Path = CACHE) -> Path:
    """The folder of French help pages, downloading and unpacking the package if needed."""
    target = cache / PACKAGE
    help_dir = target / "usr" / "share" / "libreoffice" / "help" / "fr"
    if help_dir.is_dir() and any(help_dir.rglob("*.html")):
        return help_dir
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: the scale corpus comes from Debian's {PACKAGE} package")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        result = subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"apt-get download {PACKAGE} failed (run 'apt-get update' first?):\n{result.stderr}")
        deb = next(Path(tmp).glob("*.deb"))
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
    return help_dir


if __name__ == "__main__":
    path = fetch()
    print(f"{sum(1 for _ in path.rglob('*.html'))} pages in {path}", file=sys.stderr)
    print(path)
