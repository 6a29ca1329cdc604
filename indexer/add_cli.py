"""`kb add FILE` and `kb remove DOC_ID`: the corpus grows and shrinks without editing YAML by hand,
and the index follows incrementally. Each command holds the writer locks (indexer/writers.py)
from before it changes anything until its rebuild is done: it never changes the corpus and then
finds another build running."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from indexer.diskspace import change_errors
from indexer.writers import corpus_folders, writer_lock, writer_wait
from kb.cli import index_option
from kb.config import corpus_dirs, index_dir
from kb.errors import AlreadyInCorpusError, KBError

if TYPE_CHECKING:
    from indexer.adding import AddPlan
    from indexer.report import BuildReport


def _corpus(corpus: str | None) -> Path:
    """The folder documents are added to: --corpus, else the first of $KB_CORPUS or ./corpus."""
    folder = Path(corpus) if corpus else corpus_dirs()[0]
    if not folder.is_dir():
        raise click.UsageError(f"corpus folder {folder} does not exist (give one with --corpus)")
    return folder


wait_option = click.option(
    "--wait", "wait", type=click.FloatRange(min=0), default=None,
    help="Secondes d'attente au plus quand un autre processus écrit dans le corpus ou l'index "
         "(défaut : $KB_WRITER_WAIT, sinon 600 ; 0 : refuser aussitôt).",
)


def say(message: str) -> None:
    """A message for the operator while a writer waits or settles an interrupted change."""
    click.echo(message, err=True)


def index_command(corpus: str | None, index_path: str | None) -> str:
    """The `kb index` command that indexes what `kb add` / `kb remove` changed."""
    args = ["kb", "index"] + (["--corpus", corpus] if corpus else []) + (["--index", index_path] if index_path else [])
    return shlex.join(args)


def print_report(report: BuildReport, summary: bool = True) -> None:
    """A build's warnings (always, on stderr) and its summary (unless --quiet)."""
    from indexer.build_summary import build_summary, build_warnings

    for line in build_warnings(report):
        click.secho(line, fg="yellow", err=True)
    if summary:
        for line in build_summary(report):
            click.echo(line)


def _rebuild(corpus: str | None, index_path: str | None, wait: float, unfinished: str) -> None:
    """The incremental build of what the index is built from (--corpus, else $KB_CORPUS or
    ./corpus); `unfinished` says what is in the corpus when the build does not finish."""
    from indexer.build import update_index

    try:
        report = update_index(corpus_dirs([corpus] if corpus else None), index_dir(index_path), wait=wait, notify=say)
    except BaseException:
        say(f"{unfinished}, mais l'index n'a pas été mis à jour : lancez `{index_command(corpus, index_path)}`.")
        raise
    print_report(report)


def _already_there(exc: AlreadyInCorpusError, corpus: str | None, index_path: str | None) -> KBError:
    """The refusal of a file the corpus holds, saying to run `kb index` when it is not indexed yet."""
    from indexer.adding import is_indexed

    if is_indexed(Path(exc.path), index_dir(index_path)):
        return exc
    return KBError(f"{exc.message}, not yet in the index {index_dir(index_path)} (an earlier `kb add` was interrupted, or its build failed)",
                   hint=f"run `{index_command(corpus, index_path)}` to index it")


def _show(plan: AddPlan) -> None:
    """The plan on stdout, the document's warnings on stderr."""
    from indexer.adding import describe_plan

    for line in describe_plan(plan):
        click.echo(line)
    for warning in plan.document.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)


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
@wait_option
@click.option("--dry-run", is_flag=True, help="Montrer ce qui serait ajouté, sans rien changer.")
def add_cmd(file: Path, title: str | None, publisher: str | None, date: str | None, url: str | None, licence: str | None,
            kind: str | None, language: str | None, corpus: str | None, index_path: str | None, wait: float | None,
            dry_run: bool) -> None:
    """Ajouter un document au corpus (copié sous un nom lisible, fiche écrite dans catalogue.yaml), puis mettre l'index à jour."""
    from indexer.adding import apply_add, plan_add

    folder = _corpus(corpus)
    fields = {"title": title, "publisher": publisher, "date": date, "url": url, "licence": licence, "kind": kind,
              "language": language}
    seconds = writer_wait(wait)
    try:  # read and analysed before taking the lock: only placing, copying and indexing wait
        plan = plan_add(file, folder, fields, check_duplicates=dry_run)
    except AlreadyInCorpusError as exc:
        raise _already_there(exc, corpus, index_path) from None
    if dry_run:
        _show(plan)
        click.echo("Simulation (--dry-run) : rien n'a été changé.")
        return
    with change_errors(), writer_lock([folder, *corpus_folders(corpus_dirs([corpus] if corpus else None))], index_dir(index_path),
                                      wait=seconds, notify=say):
        try:
            plan = apply_add(plan, index=index_dir(index_path))
        except AlreadyInCorpusError as exc:
            raise _already_there(exc, corpus, index_path) from None
        _show(plan)
        _rebuild(corpus, index_path, seconds, f"Le document {plan.entry['id']} est dans le corpus ({plan.target.name}), avec sa fiche du catalogue")


@click.command("remove")
@click.argument("doc_id")
@click.option("--corpus", type=click.Path(file_okay=False), help="Dossier du corpus (défaut : $KB_CORPUS ou ./corpus).")
@index_option
@wait_option
def remove_cmd(doc_id: str, corpus: str | None, index_path: str | None, wait: float | None) -> None:
    """Retirer un document du corpus (son fichier et sa fiche du catalogue), puis mettre l'index à jour."""
    from indexer.adding import remove_document

    folder = _corpus(corpus)
    seconds = writer_wait(wait)
    with change_errors(), writer_lock([folder, *corpus_folders(corpus_dirs([corpus] if corpus else None))], index_dir(index_path),
                                      wait=seconds, notify=say):
        removed = remove_document(doc_id, folder)
        click.echo(f"Retiré : {doc_id} ({removed.name})")
        _rebuild(corpus, index_path, seconds, f"Le document {doc_id} est retiré du corpus et du catalogue")
