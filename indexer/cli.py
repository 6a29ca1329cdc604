"""The `kb` command: a thin layer that turns library errors into messages with a hint."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kb.config import corpus_dirs, index_dir
from kb.errors import KBError

index_option = click.option(
    "--index", "index_path", type=click.Path(file_okay=False), default=None,
    help="Index directory (default: $KB_INDEX or ./var/index).",
)


def _fail(exc: KBError) -> None:
    click.secho(f"Error: {exc.message}", fg="red", err=True)
    if exc.hint:
        click.echo(f"  hint: {exc.hint}", err=True)
    sys.exit(1)


class KBGroup(click.Group):
    """Click group whose commands report KBError as a message, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KBError as exc:
            _fail(exc)


@click.group(cls=KBGroup)
@click.version_option(package_name="kb-risques-ia")
def main() -> None:
    """Base de connaissances « risques de l'IA et droits humains » : indexer, chercher, servir."""


@main.command("index")
@click.option("--corpus", "corpus", multiple=True, type=click.Path(), help="Corpus file or folder (repeatable; default: $KB_CORPUS or ./corpus).")
@index_option
@click.option("--strict", is_flag=True, help="Exit non-zero (and keep the old index) on any warning.")
@click.option("--max-bytes", type=click.IntRange(1), default=None, help="Skip files larger than this (default 5 MB).")
@click.option("--jobs", type=click.IntRange(1, 8), default=1, help="spaCy processes for lemmatisation.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--force", is_flag=True, help="Rebuild every file from scratch, whatever the hashes say.")
@click.option("--verify", is_flag=True, help="Only check the current build (checksums, every passage read, a query per field).")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links that lead outside the corpus folders (off: they are skipped with a warning).")
def index_cmd(corpus: tuple[str, ...], index_path: str | None, strict: bool, max_bytes: int | None, jobs: int, quiet: bool,
              force: bool, verify: bool, follow_symlinks: bool) -> None:
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
            label = {"load": "Lecture des documents", "index": "Indexation des passages"}.get(stage, stage)
            bar = bars[stage] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    report = build_index(
        corpus_dirs(list(corpus)), root, strict=strict, max_bytes=max_bytes or MAX_FILE_BYTES, progress=progress,
        n_process=jobs, force=force, follow_symlinks=follow_symlinks,
    )
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    for skipped in report.skipped:
        click.secho(f"skipped: {skipped}", fg="yellow", err=True)
    status = "Index à jour (rien n'a changé)" if report.up_to_date else "Index construit"
    words = f"{report.words:,}".replace(",", "\u202f")
    click.echo(f"{status} : {report.documents} documents, {report.passages} passages, {words} mots en {report.seconds:.1f} s")
    if not report.up_to_date:
        click.echo(f"  réindexés : {len(report.reindexed)}, retirés : {len(report.removed)}, ignorés : {len(report.skipped)}, avertissements : {len(report.warnings)}")
        if report.removed:
            click.echo("  documents retirés : " + ", ".join(report.removed))
    click.echo(f"  emplacement : {report.index_path}")
    if strict and (report.warnings or report.skipped):
        sys.exit(2)


def _verify(root: Path) -> None:
    """`kb index --verify`: the current build checked as a server would, and every passage read."""
    from kb.errors import IndexMissingError
    from kb.storage.integrity import verify_build
    from kb.storage.layout import current_build
    from kb.storage.schema import build_schema

    build = current_build(root)
    if build is None:
        raise IndexMissingError(f"no index found in {root}", hint="build it with `kb index`")
    checked = verify_build(build, build_schema(), deep=True)
    sums = "sommes de contrôle SHA-256 conformes" if checked.checksums else "aucune somme de contrôle enregistrée (build ancien : `kb index --force`)"
    click.echo(f"Index intact : {build.name}")
    size = f"{checked.bytes:,}".replace(",", "\u202f")
    click.echo(f"  {checked.files} fichiers, {size} octets, {sums}")
    click.echo(f"  {checked.documents} documents, {checked.stored_read} passages relus, {len(checked.fields_queried)} champs interrogés")


def _open(index_path: str | None):
    from kb.storage.store import KnowledgeBase

    kb = KnowledgeBase(index_dir(index_path))
    kb.snapshot()
    return kb


@main.command("search")
@click.argument("query", nargs=-1)
@index_option
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--offset", type=int, default=0, show_default=True)
@click.option("--category", "categories", multiple=True, help="Only these categories (repeatable: any of them).")
@click.option("--document", "documents", multiple=True, help="Only these documents (repeatable).")
@click.option("--explain", is_flag=True, help="Include why each passage got its categories.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON object of the API.")
def search_cmd(query: tuple[str, ...], index_path: str | None, limit: int, offset: int, categories: tuple[str, ...], documents: tuple[str, ...], explain: bool, as_json: bool) -> None:
    """Search passages; prints document, section and snippet for each result."""
    from kb.search import SearchRequest, search

    kb = _open(index_path)
    response = search(kb, SearchRequest(" ".join(query), categories, documents, limit, offset, explain))
    if as_json:
        click.echo(json.dumps(response, ensure_ascii=False, indent=2))
        return
    _print_results(response)


def _print_results(response: dict[str, Any]) -> None:
    import html
    import re

    if response["corrected_query"]:
        click.echo(f"Aucun résultat pour « {response['query']} » ; résultats pour « {response['corrected_query']} ».")
    elif response["suggestion"]:
        click.echo(f"Essayez plutôt : {response['suggestion']}")
    for note in response["notes"]:
        click.echo(note)
    total = response["total"]
    start = response["offset"] + 1
    click.echo(f"{total} passage(s)" + (f", {start}–{start + len(response['results']) - 1} :" if total else "."))
    for n, r in enumerate(response["results"], start):
        snippet = html.unescape(re.sub(r"<mark>(.*?)</mark>", r"[\1]", r["snippet"]))
        click.echo()
        click.secho(f"{n}. {r['document']['title']}", bold=True)
        if r["section"]:
            click.echo("   " + " › ".join(r["section"]))
        click.echo(f"   {snippet}")
        cats = ", ".join(r["categories"]) or "—"
        click.echo(f"   id: {r['id']}  catégories: {cats}  score: {r['score']:.2f}")


@main.command("export")
@index_option
@click.option("--format", "fmt", type=click.Choice(["ndjson", "csv"]), default="ndjson", show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default: stdout).")
def export_cmd(index_path: str | None, fmt: str, output: Any) -> None:
    """Write every passage with all its fields (bulk access for researchers)."""
    from kb.export import write_csv, write_ndjson

    kb = _open(index_path)
    rows = kb.all_passages()
    (write_ndjson if fmt == "ndjson" else write_csv)(kb, rows, output)


@main.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True)
def stats_cmd(index_path: str | None, as_json: bool) -> None:
    """Passages per category and per document."""
    from kb.categories.taxonomy import load_taxonomy

    kb = _open(index_path)
    stats = kb.stats()
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    click.echo(f"{stats['documents']} documents, {stats['passages']} passages, {stats['words']} mots (construit le {stats['built_at']})")
    click.echo("\nPassages par catégorie :")
    for cat in load_taxonomy():
        click.echo(f"  {cat.slug:<22} {stats['per_category'].get(cat.slug, 0):>6}  {cat.label}")
    click.echo("\nPassages par document :")
    for doc_id, count in sorted(stats["per_document"].items()):
        click.echo(f"  {doc_id:<50} {count:>6}")


@main.command("explain")
@click.argument("passage_id")
@index_option
@click.option("--json", "as_json", is_flag=True)
def explain_cmd(passage_id: str, index_path: str | None, as_json: bool) -> None:
    """Why a passage has its categories: section, evidence matched, score against threshold."""
    kb = _open(index_path)
    passage = kb.passage(passage_id)
    if as_json:
        click.echo(json.dumps({"id": passage.id, "categories": passage.categories, "explanation": passage.explanation}, ensure_ascii=False, indent=2))
        return
    click.secho(passage.id, bold=True)
    click.echo("   " + " › ".join(passage.section))
    click.echo("   " + passage.text[:300].replace("\n", " ") + ("…" if len(passage.text) > 300 else ""))
    click.echo(f"Catégories : {', '.join(passage.categories) or 'aucune'}")
    if not passage.explanation:
        click.echo("Aucun indice trouvé pour aucune catégorie.")
    for e in passage.explanation:
        verdict = "ATTRIBUÉE" if e["assigned"] else "non attribuée"
        click.echo(f"\n  {e['category']}: score {e['score']} / seuil {e['threshold']} → {verdict}")
        if e.get("section"):
            click.echo(f"    section « {e['section']['heading']} » (indice « {e['section']['pattern']} »)")
        for ev in e["evidence"]:
            click.echo(f"    indice « {ev['pattern']} » ×{ev['count']} (poids {ev['weight']})")
        if e.get("negated_by"):
            click.echo(f"    annulé par : {', '.join(e['negated_by'])}")


@main.group("eval")
def eval_group() -> None:
    """Measure the engine against hand-made judgements."""


@eval_group.command("categories")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False), default="tests/data/category_labels.yaml", show_default=True)
@click.option("--corpus", "corpus", multiple=True, type=click.Path(exists=True), help="Where the labelled passages come from (default: ./corpus and ../shared/corpus-extra).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--check", is_flag=True, help="Exit 1 unless micro-F1 ≥ 0.90 and every required category ≥ 0.80.")
def eval_categories_cmd(labels: str, corpus: tuple[str, ...], as_json: bool, check: bool) -> None:
    """Per-category precision, recall, F1, micro-F1 and confusions, passage by passage."""
    from indexer.corpus_passages import passages_by_source
    from kb.categories.evaluation import evaluate_categories, format_report, report_json

    paths = [Path(p) for p in corpus] or [Path("corpus"), Path("../shared/corpus-extra")]
    passages, titles = passages_by_source(paths)
    report = evaluate_categories(Path(labels), passages, titles=titles)
    click.echo(json.dumps(report_json(report), ensure_ascii=False, indent=2) if as_json else format_report(report))
    if check and not report.meets_target():
        sys.exit(1)


@main.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Threads per worker process.")
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Worker processes, forked after loading, each running waitress on one shared socket (one per core uses them all).")
@click.option("--debug", is_flag=True, help="Flask's debug server (never in production).")
def serve_cmd(index_path: str | None, host: str, port: int, threads: int, workers: int, debug: bool) -> None:
    """Serve the search site and the JSON API (waitress in --workers processes; SIGTERM drains, then exits 0)."""
    from webui import create_app

    root = index_dir(index_path)
    _open(str(root))  # a missing index is reported here, before the server starts
    app = create_app({"KB_INDEX": str(root)})
    with app.app_context():
        from kb.search import SearchRequest, search
        from webui.service import get_kb

        # Warm the app's own KnowledgeBase (spaCy, thesaurus, searcher) before the first user.
        search(get_kb(), SearchRequest("ia", limit=1))
    click.echo(f"Base de connaissances servie sur http://{host}:{port}/ (index : {root})", err=True)
    if debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    from webui.server import serve

    serve(app, host, port, threads=threads, workers=workers)


if __name__ == "__main__":
    main()
