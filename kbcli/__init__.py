"""The `kb` command, on top of what it composes: every click command lives here, one module per
face (search.py reads, index.py writes, evaluate.py measures, serve.py serves), each calling plain
functions of kb, indexer and webui; the packages themselves know nothing of the command line."""

from __future__ import annotations

import click

from kbcli import evaluate, index, search, serve
from kbcli.common import KBGroup


@click.group(cls=KBGroup)
@click.version_option(package_name="kb-risques-ia")
def main() -> None:
    """Base de connaissances « risques de l'IA et droits humains » : indexer, chercher, servir."""


# Every command of `kb`, face by face (click lists them in alphabetical order in `kb --help`).
COMMANDS: tuple[click.Command, ...] = (
    search.search_cmd, search.export_cmd, search.stats_cmd, search.explain_cmd,
    index.index_cmd, index.add_cmd, index.remove_cmd,
    evaluate.eval_group,
    serve.serve_cmd,
)
for command in COMMANDS:
    main.add_command(command)
