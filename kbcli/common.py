"""What every `kb` command shares: the --index and --wait options, opening the index, the
operator's messages, a build's report, and library errors shown as a message with a hint."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kb.config import index_dir
from kb.errors import KBError

if TYPE_CHECKING:  # imported when a command runs: `kb --help` needs neither Whoosh nor spaCy
    from indexer.report import BuildReport
    from kb.storage.store import KnowledgeBase

index_option = click.option(
    "--index", "index_path", type=click.Path(file_okay=False), default=None,
    help="Index directory (default: $KB_INDEX or ./var/index).",
)

wait_option = click.option(
    "--wait", "wait", type=click.FloatRange(min=0), default=None,
    help="Secondes d'attente au plus quand un autre processus écrit dans le corpus ou l'index "
         "(défaut : $KB_WRITER_WAIT, sinon 600 ; 0 : refuser aussitôt).",
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


def say(message: str) -> None:
    """A message for the operator while a writer waits or settles an interrupted change."""
    click.echo(message, err=True)


def echo_lines(lines: list[str]) -> None:
    """Text a package composed, printed on stdout one line at a time."""
    for line in lines:
        click.echo(line)


def print_report(report: BuildReport, summary: bool = True) -> None:
    """A build's warnings (always, on stderr, in yellow) and its summary (unless --quiet)."""
    from indexer.build_summary import build_summary, build_warnings

    for line in build_warnings(report):
        click.secho(line, fg="yellow", err=True)
    if summary:
        echo_lines(build_summary(report))
