"""The reading face of `kb`: search, export, stats and explain. Each command asks kb and prints
what it returns for a terminal, as webui renders it for a browser."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from kb.config import public_url
from kb.export import EXPORTS
from kb.models import PASSAGE_KINDS
from kbcli.common import echo_lines, index_option, open_kb

if TYPE_CHECKING:  # imported when a command runs: `kb --help` needs neither Whoosh nor spaCy
    from kb.search import SearchResponse


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

    from kb.search.provenance import FRENCH as FOUND_BY_FRENCH
    from kb.untrusted import one_line

    if response.corrected_query:
        click.echo(f"Aucun résultat pour « {response.query} » ; résultats pour « {response.corrected_query} ».")
    elif response.suggestion:
        click.echo(f"Essayez plutôt : {response.suggestion}")
    for note in response.notes:
        click.echo(note)
    click.echo(_total_line(response))
    for n, r in enumerate(response.results, response.offset + 1):
        snippet = one_line(html.unescape(re.sub(r"<mark>(.*?)</mark>", r"[\1]", r.snippet)))
        click.echo()
        click.secho(f"{n}. {one_line(r.document.title)}", bold=True)
        if r.section:
            click.echo("   " + " › ".join(one_line(h) for h in r.section))
        click.echo(f"   {snippet}")
        cats = ", ".join(r.categories) or "—"
        how = ", ".join(FOUND_BY_FRENCH[f] for f in r.found_by)
        click.echo(f"   id: {r.id}  catégories: {cats}  score: {r.score:.4f}" + (f"  trouvé par : {how}" if how else ""))


def _total_line(response: SearchResponse) -> str:
    """« 33 passage(s) (17 contiennent les mots, 16 proches par le sens), 1–10 : »: the total, how
    many hold the query's words and how many are there by meaning alone (said only when some are)."""
    words, meaning = response.by_words, response.by_meaning
    line = f"{response.total} passage(s)"
    if meaning and not words:
        line += f" proche(s) par le sens ({'aucun ne contient' if meaning > 1 else 'il ne contient pas'} les mots)"
    elif meaning:
        line += f" ({words} {'contiennent' if words > 1 else 'contient'} les mots, {meaning} {'proches' if meaning > 1 else 'proche'} par le sens)"
    start = response.offset + 1
    if not response.results:  # none at all, or none from this offset on
        return line + (f", aucun à partir du {start}e." if response.total else ".")
    return line + f", {start}–{start + len(response.results) - 1} :"


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
    from kb.categories.cues import explanation_lines

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
    for explanation in passage.explanation:
        click.echo()
        echo_lines(explanation_lines(explanation, passage.text))
