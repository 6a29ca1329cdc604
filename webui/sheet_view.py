"""What the sheet page (« fiche ») shows and links to: the sheet lives in its URL (`p` repeated,
in order; `titre`; `ordre`), so moving, removing or renaming is a link to another URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from kb.errors import InvalidParameterError
from kb.sheet import ORDERS, sheet_ids
from webui import params

MAX_TITLE = 200
SHEET_EXPORTS = {"markdown": "Markdown", "csl-json": "CSL-JSON", "bibtex": "BibTeX", "ris": "RIS"}


@dataclass(frozen=True)
class SheetState:
    """The ids, title and order of a sheet URL."""

    ids: tuple[str, ...]
    title: str
    order: str

    @classmethod
    def of(cls, args: MultiDict[str, str]) -> SheetState:
        """Read from a request's arguments; a sheet of more than 100 passages is refused."""
        try:
            ids = tuple(sheet_ids(args.getlist("p")))
        except InvalidParameterError as exc:
            raise params.french(exc) from exc
        order = params.single(args, "ordre")
        order = "document" if order is None else order
        if order not in ORDERS:
            raise params.invalid("ordre", f"ordre must be one of {', '.join(ORDERS)} (got '{order[:40]}')")
        title = params.single(args, "titre") or ""
        if len(title) > MAX_TITLE:
            raise params.invalid("titre", f"titre must be at most {MAX_TITLE} characters (got {len(title)})")
        return cls(ids, title.strip(), order)

    def args(self, ids: tuple[str, ...] | None = None, **changes: Any) -> dict[str, Any]:
        """This sheet's URL arguments, some changed."""
        out: dict[str, Any] = {"p": list(self.ids if ids is None else ids), "titre": self.title or None,
                               "ordre": None if self.order == "document" else self.order}
        out.update(changes)
        return out

    def url(self, endpoint: str = "pages.sheet_page", ids: tuple[str, ...] | None = None, **changes: Any) -> str:
        return url_for(endpoint, **self.args(ids, **changes))

    def moved(self, pid: str, step: int) -> str | None:
        """The URL with `pid` moved `step` places (None at either end)."""
        ids = list(self.ids)
        i = ids.index(pid)
        j = i + step
        if not 0 <= j < len(ids):
            return None
        ids[i], ids[j] = ids[j], ids[i]
        return self.url(ids=tuple(ids))

    def without(self, pid: str) -> str:
        return self.url(ids=tuple(i for i in self.ids if i != pid))

    def controls(self, pid: str) -> dict[str, str | None]:
        """Move up, move down, remove: links, so they work without JavaScript."""
        return {"up": self.moved(pid, -1), "down": self.moved(pid, 1), "remove": self.without(pid)}
