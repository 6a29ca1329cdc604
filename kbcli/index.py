"""The writing face of `kb`: `kb index` (build, update, verify), `kb add FILE` and `kb remove
DOC_ID`. The corpus grows and shrinks without editing YAML by hand, and the index follows
incrementally; add and remove hold the writer locks (indexer/writers.py) from before they change
anything until their rebuild is done: they never change the corpus and then find another build
running."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from indexer.diskspace import change_errors
from indexer.writers import corpus_folders, writer_lock, writer_wait
from kb.config import corpus_dirs, index_dir
from kb.errors import AlreadyInCorpusError, KBError
from kbcli.common import echo_lines, index_option, print_report, say, wait_option

if TYPE_CHECKING:
    from indexer.adding import AddPlan


@click.command("index")
@click.option("--corpus", "corpus", multiple=True, type=click.Path(), help="Corpus file or folder (repeatable; default: $KB_CORPUS or ./corpus).")
@index_option
@click.option("--strict", is_flag=True, help="Exit non-zero (and keep the old index) on any warning.")
@click.option("--max-bytes", type=click.IntRange(1), default=None, help="Skip files larger than this (default 5 MB).")
@click.option("--jobs", type=click.IntRange(1, 8), default=1, help="spaCy processes for lemmatisation.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success: no progress bar, no summary (warnings still go to stderr).")
@click.option("--force", is_flag=True, help="Rebuild every file from scratch, whatever the hashes say.")
@click.option("--verify", is_flag=True, help="Only check the current build (checksums, every passage read, a query per field).")
@click.option("--no-semantic", "no_semantic", is_flag=True, help="Store no passage vectors: search by words alone (faster build).")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links that lead outside the corpus folders (off: they are skipped with a warning).")
@wait_option
def index_cmd(corpus: tuple[str, ...], index_path: str | None, strict: bool, max_bytes: int | None, jobs: int, quiet: bool,
              force: bool, verify: bool, follow_symlinks: bool, no_semantic: bool, wait: float | None) -> None:
    """Build (or update) the index from the corpus; the new build is verified, then switched in atomically."""
    from indexer.build import build_index
    from indexer.loaders.source import MAX_FILE_BYTES

    root = index_dir(index_path)
    if verify:
        _verify(root)
        return
    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if quiet or not sys.stderr.isatty():
            return
        bar = bars.get(stage)
        if bar is None:
            label = {"load": "Lecture des documents", "index": "Indexation des passages", "embed": "Calcul des vecteurs"}.get(stage, stage)
            bar = bars[stage] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    report = build_index(
        corpus_dirs(list(corpus)), root, strict=strict, max_bytes=max_bytes or MAX_FILE_BYTES, progress=progress,
        n_process=jobs, force=force, follow_symlinks=follow_symlinks, semantic=not no_semantic,
        wait=writer_wait(wait), notify=say,
    )
    print_report(report, summary=not quiet)
    if strict and (report.warnings or report.skipped):
        sys.exit(2)


def _verify(root: Path) -> None:
    """`kb index --verify`: the current build checked as a server would, and every passage read."""
    from indexer.build import verify_current
    from indexer.build_summary import verification_summary

    echo_lines(verification_summary(verify_current(root)))


def _corpus(corpus: str | None) -> Path:
    """The folder documents are added to: --corpus, else the first of $KB_CORPUS or ./corpus."""
    folder = Path(corpus) if corpus else corpus_dirs()[0]
    if not folder.is_dir():
        raise click.UsageError(f"corpus folder {folder} does not exist (give one with --corpus)")
    return folder


def index_command(corpus: str | None, index_path: str | None) -> str:
    """The `kb index` command that indexes what `kb add` / `kb remove` changed."""
    args = ["kb", "index"] + (["--corpus", corpus] if corpus else []) + (["--index", index_path] if index_path else [])
    return shlex.join(args)


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

    echo_lines(describe_plan(plan))
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
