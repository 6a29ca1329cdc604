"""kb's own commands (search, export, stats, explain) and what every `kb` command shares: the
--index option, opening the index, and library errors shown as a message with a hint."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kb.config import index_dir, public_url
from kb.errors import KBError
from kb.export import EXPORTS
from kb.models import PASSAGE_KINDS

if TYPE_CHECKING:  # imported when a command runs: `kb --help` needs neither Whoosh nor spaCy
    from kb.search import SearchResponse
    from kb.storage.store import KnowledgeBase

index_option = click.option(
    "--index", "index_path", type=click.Path(file_okay=False), default=None,
    help="Index directory (default: $KB_INDEX or ./var/index).",
)


def fail(exc: KBError) -> NoReturn:
    """Print a library error as a message with its hint, and exit 1."""
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
            fail(exc)


def open_kb(index_path: str | None) -> KnowledgeBase:
    """The index at --index (or $KB_INDEX), opened and verified: a missing one is reported now."""
    from kb.storage.store import KnowledgeBase

    kb = KnowledgeBase(index_dir(index_path))
    kb.snapshot()
    return kb


def register(group: click.Group) -> None:
    """Add kb's commands to the `kb` group."""
    for command in (search_cmd, export_cmd, stats_cmd, explain_cmd):
        group.add_command(command)


@click.command("search")
@click.argument("query", nargs=-1)
@index_option
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--offset", type=int, default=0, show_default=True)
@click.option("--category", "categories", multiple=True, help="Only these categories (repeatable: any of them).")
@click.option("--document", "documents", multiple=True, help="Only these documents (repeatable).")
@click.option("--explain", is_flag=True, help="Include why each passage got its categories.")
@click.option("--mode", type=click.Choice(["hybrid", "lexical"]), default=None,
              help="hybrid: words and meaning (default when the index has vectors); lexical: words alone.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON object of the API.")
def search_cmd(query: tuple[str, ...], index_path: str | None, limit: int, offset: int, categories: tuple[str, ...], documents: tuple[str, ...],
               explain: bool, mode: str | None, as_json: bool) -> None:
    """Search passages; prints document, section and snippet for each result."""
    from kb.search import SearchRequest, search

    kb = open_kb(index_path)
    response = search(kb, SearchRequest(" ".join(query), categories, documents, limit, offset, explain, mode=mode,
                                            public_url=public_url()))
    if as_json:
        click.echo(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
        return
    _print_results(response)


def _print_results(response: SearchResponse) -> None:
    """The results as a reader scans them: document, section, snippet with [marked] words; each
    text from a document on one line (a control character could move the terminal's cursor)."""
    import html
    import re

    from kb.search.found import FRENCH as FOUND_BY_FRENCH
    from kb.untrusted import one_line

    if response.corrected_query:
        click.echo(f"Aucun résultat pour « {response.query} » ; résultats pour « {response.corrected_query} ».")
    elif response.suggestion:
        click.echo(f"Essayez plutôt : {response.suggestion}")
    for note in response.notes:
        click.echo(note)
    total = response.total
    start = response.offset + 1
    click.echo(f"{total} passage(s)" + (f", {start}–{start + len(response.results) - 1} :" if total else "."))
    for n, r in enumerate(response.results, start):
        snippet = one_line(html.unescape(re.sub(r"<mark>(.*?)</mark>", r"[\1]", r.snippet)))
        click.echo()
        click.secho(f"{n}. {one_line(r.document.title)}", bold=True)
        if r.section:
            click.echo("   " + " › ".join(one_line(h) for h in r.section))
        click.echo(f"   {snippet}")
        cats = ", ".join(r.categories) or "—"
        how = ", ".join(FOUND_BY_FRENCH[f] for f in r.found_by)
        click.echo(f"   id: {r.id}  catégories: {cats}  score: {r.score:.4f}" + (f"  trouvé par : {how}" if how else ""))


@click.command("export")
@index_option
@click.option("--format", "fmt", type=click.Choice(list(EXPORTS)), default="ndjson", show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default: stdout).")
def export_cmd(index_path: str | None, fmt: str, output: Any) -> None:
    """Write every passage with all its fields (bulk access for researchers)."""
    from kb.citations.lookup import Citer

    kb = open_kb(index_path)
    export = EXPORTS[fmt]
    export.write(kb.all_passages(), Citer(kb, public_url()), output, export.dialects[0] if export.dialects else "")


@click.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True)
def stats_cmd(index_path: str | None, as_json: bool) -> None:
    """Passages per category and per document."""
    from kb.categories.taxonomy import load_taxonomy

    kb = open_kb(index_path)
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


@click.command("explain")
@click.argument("passage_id")
@index_option
@click.option("--json", "as_json", is_flag=True)
def explain_cmd(passage_id: str, index_path: str | None, as_json: bool) -> None:
    """Why a passage has its categories: section, evidence matched, score against threshold."""
    from kb.categories.context import describe_context
    from kb.categories.cues import cue_words, strength

    kb = open_kb(index_path)
    passage = kb.passage(passage_id)
    if as_json:
        click.echo(json.dumps({"id": passage.id, "kind": passage.kind, "categories": passage.categories, "explanation": passage.explanation},
                              ensure_ascii=False, indent=2))
        return
    click.secho(passage.id, bold=True)
    click.echo("   " + " › ".join(passage.section))
    click.echo("   " + passage.text[:300].replace("\n", " ") + ("…" if len(passage.text) > 300 else ""))
    if passage.kind is not None:
        click.echo(f"Nature : {PASSAGE_KINDS.get(passage.kind, passage.kind)} — pas du contenu citable")
    click.echo(f"Catégories : {', '.join(passage.categories) or 'aucune'}")
    if not passage.explanation:
        click.echo("Aucun indice trouvé pour aucune catégorie.")
    for e in passage.explanation:
        verdict = "ATTRIBUÉE" if e["assigned"] else "non attribuée"
        click.echo(f"\n  {e['category']}: {strength(e)} → {verdict} (score {e['score']} / seuil {e['threshold']})")
        if section := e.get("section"):
            words = " », « ".join(cue_words(section["heading"], section["pattern"]))
            click.echo(f"    section « {section['heading']} » : « {words} » (motif « {section['pattern']} »)")
        for ev in e["evidence"]:
            words = " », « ".join(cue_words(passage.text, ev["pattern"]))
            click.echo(f"    indice « {words} » ×{ev['count']} (motif « {ev['pattern']} », poids {ev['weight']})")
        if e.get("negated_by"):
            click.echo(f"    annulé par : {', '.join(e['negated_by'])}")
        if note := describe_context(e):
            click.echo(f"    {note}")
