"""Fetches the scale corpus, Debian's French LibreOffice help (2,561 HTML pages), and other
Debian packages of French documents (the Debian reference manual as PDF), unpacked into
bench/cache/ with `apt-get download` + `dpkg -x` (nothing is installed system-wide)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "libreoffice-help-fr"
CACHE = Path(__file__).resolve().parents[1] / "cache"


def fetch(cache: Path = CACHE) -> Path:
    """The folder of French help pages, downloading and unpacking the package if needed."""
    help_dir = unpacked(PACKAGE, cache) / "usr" / "share" / "libreoffice" / "help" / "fr"
    if not any(help_dir.rglob("*.html")):
        raise SystemExit(f"{PACKAGE} unpacked into {cache / PACKAGE}, but it holds no French help pages")
    return help_dir


def unpacked(package: str, cache: Path = CACHE) -> Path:
    """The root of Debian `package` unpacked into `cache` (`apt-get download` + `dpkg -x`, nothing
    installed system-wide), fetched the first time; SystemExit with the reason when it cannot be."""
    target = cache / package
    if (target / "usr").is_dir():
        return target
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: {package} is a Debian package")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        result = subprocess.run(["apt-get", "download", package], cwd=tmp, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"apt-get download {package} failed (run 'apt-get update' first?):\n{result.stderr}")
        deb = next(Path(tmp).glob("*.deb"))
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
    return target


if __name__ == "__main__":
    path = fetch()
    print(f"{sum(1 for _ in path.rglob('*.html'))} pages in {path}", file=sys.stderr)
    print(path)
