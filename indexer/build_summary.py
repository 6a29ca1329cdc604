"""What `kb index`, `kb add` and `kb remove` tell the operator about a build, as lines of French
text: the command prints them (its own module, so that each command uses it without importing
another, and without the indexer knowing how a terminal is written to)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the summary needs only their fields: no Whoosh loaded to print it
    from indexer.report import BuildReport
    from kb.storage.integrity import Verification


def build_warnings(report: BuildReport) -> list[str]:
    """Every warning and skipped file of a build, one line each: shown even when `--quiet`."""
    return [f"warning: {warning}" for warning in report.warnings] + [f"skipped: {skipped}" for skipped in report.skipped]


def build_summary(report: BuildReport) -> list[str]:
    """A build's summary for the operator: counts, what changed, the vectors, where it is."""
    status = "Index à jour (rien n'a changé)" if report.up_to_date else "Index construit"
    words = f"{report.words:,}".replace(",", "\u202f")
    lines = [f"{status} : {report.documents} documents, {report.passages} passages, {words} mots en {report.seconds:.1f} s"]
    if not report.up_to_date:
        lines.append(f"  réindexés : {len(report.reindexed)}, retirés : {len(report.removed)}, ignorés : {len(report.skipped)}, "
                     f"avertissements : {len(report.warnings)}")
        if report.removed:
            lines.append("  documents retirés : " + ", ".join(report.removed))
        if report.vectors and not report.vectors.get("unavailable"):
            v = report.vectors
            lines.append(f"  vecteurs (sens) : {v['embedded']} calculés, {v['reused']} repris, en {v['seconds']:.1f} s")
            if v.get("rejected"):
                lines.append(f"  vecteurs rejetés (non finis ou de norme ≠ 1, relus du cache ou du build précédent) : {v['rejected']}, recalculés")
    lines.append(f"  emplacement : {report.index_path}")
    return lines


def verification_summary(checked: Verification) -> list[str]:
    """What `kb index --verify` found of the current build: files, bytes, checksums, passages read."""
    sums = "sommes de contrôle SHA-256 conformes" if checked.checksums else "aucune somme de contrôle enregistrée (build ancien : `kb index --force`)"
    size = f"{checked.bytes:,}".replace(",", "\u202f")
    return [f"Index intact : {checked.build}",
            f"  {checked.files} fichiers, {size} octets, {sums}",
            f"  {checked.documents} documents, {checked.stored_read} passages relus, {len(checked.fields_queried)} champs interrogés"]
