"""Document ids that do not depend on build history: when several files want the same id, the
first by sorted source path keeps it and the others get `-2`, `-3`… in that order."""

from __future__ import annotations


def assign_ids(wanted: dict[str, str], reserved: dict[str, str] | None = None) -> dict[str, str]:
    """Map each source key to a unique id from the id it wants (`wanted`, key → base id);
    `reserved` ids (key → id) are kept as they are and taken first."""
    reserved = reserved or {}
    taken = set(reserved.values())
    out = dict(reserved)
    for key in sorted(wanted):
        base = wanted[key]
        doc_id, n = base, 2
        while doc_id in taken:
            doc_id, n = f"{base}-{n}", n + 1
        taken.add(doc_id)
        out[key] = doc_id
    return out
