"""What `kb index` and `kb add`/`kb remove` print when a build is done: the operator's summary,
in French (its own module, so that both commands use it without importing each other)."""

from __future__ import annotations

from typing import Any

import click


def print_report(report: Any, summary: bool = True) -> None:
    """A build's summary for the operator, in French: counts, what changed, warnings (these
    always, on stderr; the summary unless `summary` is off, as `--quiet` asks)."""
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    for skipped in report.skipped:
        click.secho(f"skipped: {skipped}", fg="yellow", err=True)
    if not summary:
        return
    status = "Index à jour (rien n'a changé)" if report.up_to_date else "Index construit"
    words = f"{report.words:,}".replace(",", "\u202f")
    click.echo(f"{status} : {report.documents} documents, {report.passages} passages, {words} mots en {report.seconds:.1f} s")
    if not report.up_to_date:
        click.echo(f"  réindexés : {len(report.reindexed)}, retirés : {len(report.removed)}, ignorés : {len(report.skipped)}, avertissements : {len(report.warnings)}")
        if report.removed:
            click.echo("  documents retirés : " + ", ".join(report.removed))
        if report.vectors and not report.vectors.get("unavailable"):
            v = report.vectors
            click.echo(f"  vecteurs (sens) : {v['embedded']} calculés, {v['reused']} repris, en {v['seconds']:.1f} s")
            if v.get("rejected"):
                click.echo(f"  vecteurs rejetés (non finis ou de norme ≠ 1, relus du cache ou du build précédent) : {v['rejected']}, recalculés")
    click.echo(f"  emplacement : {report.index_path}")
