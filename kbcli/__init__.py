"""The `kb` command, on top of what it composes: each package registers its own commands (kb:
search, export, stats, explain; indexer: index, eval; webui: serve), and none imports another's."""

from __future__ import annotations

import click

import indexer.cli
import kb.cli
import webui.cli


@click.group(cls=kb.cli.KBGroup)
@click.version_option(package_name="kb-risques-ia")
def main() -> None:
    """Base de connaissances « risques de l'IA et droits humains » : indexer, chercher, servir."""


for package in (kb.cli, indexer.cli, webui.cli):
    package.register(main)
