"""`kb add FILE` and `kb remove DOC_ID`: the corpus grows and shrinks without editing YAML by hand,
and the index follows incrementally."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli import index_option
from kb.config import corpus_dirs, index_dir

SHOWN_SECTIONS = 15


def _corpus(corpus: str | None) -> Path:
    """The folder documents are added to: --corpus, else the first of $KB_CORPUS or ./corpus."""
    folder = Path(corpus) if corpus else corpus_dirs()[0]
    if not folder.is_dir():
        raise click.UsageError(f"corpus folder {folder} does not exist (give one with --corpus)")
    return folder


def _rebuild(corpus: str | None, index_path: str | None) -> None:
    """The incremental build of what the index is built from (--corpus, else $KB_CORPUS or ./corpus)."""
    from indexer.build import build_index
    from indexer.build_summary import print_report

    print_report(build_index(corpus_dirs([corpus] if corpus else None), index_dir(index_path)))


@click.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", help="Titre du document (sinon : celui que donne le fichier).")
@click.option("--publisher", help="Éditeur ou auteur (organisation).")
@click.option("--date", help="Date de publication, AAAA, AAAA-MM ou AAAA-MM-JJ.")
@click.option("--url", help="Adresse où le document est publié.")
@click.option("--licence", help="Licence (par exemple CC-BY-4.0).")
@click.option("--kind", help="Genre : rapport, dossier de presse, guide, charte…")
@click.option("--lang", "language", help="Langue (fr par défaut).")
@click.option("--corpus", type=click.Path(file_okay=False), help="Dossier du corpus (défaut : $KB_CORPUS ou ./corpus).")
@index_option
@click.option("--dry-run", is_flag=True, help="Montrer ce qui serait ajouté, sans rien changer.")
def add_cmd(file: Path, title: str | None, publisher: str | None, date: str | None, url: str | None, licence: str | None,
            kind: str | None, language: str | None, corpus: str | None, index_path: str | None, dry_run: bool) -> None:
    """Ajouter un document au corpus (copié sous un nom lisible, fiche écrite dans catalogue.yaml), puis mettre l'index à jour."""
    from indexer.adding import apply_add, plan_add

    folder = _corpus(corpus)
    fields = {"title": title, "publisher": publisher, "date": date, "url": url, "licence": licence, "kind": kind,
              "language": language}
    plan = plan_add(file, folder, fields)
    doc = plan.document
    click.echo(f"Document : {doc.meta.title}")
    click.echo(f"  identifiant : {plan.entry['id']}, copié vers {plan.target}")
    meta = ", ".join(f"{k} : {v}" for k, v in (("éditeur", doc.meta.publisher), ("date", doc.meta.date)) if v)
    if meta:
        click.echo(f"  {meta}")
    click.echo(f"  sections : {len(doc.sections)}")
    for section in doc.sections[:SHOWN_SECTIONS]:
        page = f" (p. {section.page})" if section.page else ""
        click.echo(f"    {'  ' * (section.level - 1)}{section.title}{page}")
    if len(doc.sections) > SHOWN_SECTIONS:
        click.echo(f"    … et {len(doc.sections) - SHOWN_SECTIONS} autres")
    click.echo(f"  passages : {len(plan.passages)}")
    cats = ", ".join(f"{c} {n}" for c, n in plan.categories.most_common()) or "aucune"
    click.echo(f"  catégories (passages) : {cats}")
    for warning in doc.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if dry_run:
        click.echo("Simulation (--dry-run) : rien n'a été changé.")
        return
    apply_add(plan)
    _rebuild(corpus, index_path)


@click.command("remove")
@click.argument("doc_id")
@click.option("--corpus", type=click.Path(file_okay=False), help="Dossier du corpus (défaut : $KB_CORPUS ou ./corpus).")
@index_option
def remove_cmd(doc_id: str, corpus: str | None, index_path: str | None) -> None:
    """Retirer un document du corpus (son fichier et sa fiche du catalogue), puis mettre l'index à jour."""
    from indexer.adding import remove_document

    folder = _corpus(corpus)
    removed = remove_document(doc_id, folder)
    click.echo(f"Retiré : {doc_id} ({removed.name})")
    _rebuild(corpus, index_path)
