"""The indexer's commands: `kb index` (build, update, verify), `kb add` / `kb remove`
(indexer/add_cli.py) and `kb eval categories`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from indexer.add_cli import print_report, say, wait_option
from kb.cli import index_option
from kb.config import corpus_dirs, index_dir


def register(group: click.Group) -> None:
    """Add the indexer's commands to the `kb` group."""
    from indexer.add_cli import add_cmd, remove_cmd

    group.add_command(index_cmd)
    group.add_command(add_cmd)
    group.add_command(remove_cmd)
    group.add_command(eval_group)


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
    from indexer.writers import writer_wait

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

    for line in verification_summary(verify_current(root)):
        click.echo(line)


@click.group("eval")
def eval_group() -> None:
    """Measure the engine against hand-made judgements."""


@eval_group.command("categories")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False), required=True, help="The hand-labelled passages (YAML).")
@click.option("--corpus", "corpus", multiple=True, required=True, type=click.Path(exists=True), help="Where the labelled passages come from (repeatable).")
@click.option("--off-topic", "off_topic", multiple=True, type=click.Path(exists=True),
              help="Documents about something else, where no passage may get a category (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Analysis processes for --off-topic (default: one per core).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--check", is_flag=True, help="Exit 1 unless micro-F1 ≥ 0.90, every required category ≥ 0.80 and no off-topic passage has a category.")
def eval_categories_cmd(labels: str, corpus: tuple[str, ...], off_topic: tuple[str, ...], jobs: int | None, as_json: bool, check: bool) -> None:
    """Per-category precision, recall, F1, micro-F1 and confusions, passage by passage; with
    --off-topic, the passages of other subjects that get a category."""
    from indexer.corpus_passages import passages_by_source, read_passages
    from kb.categories.evaluation import evaluate_categories, evaluate_off_topic, format_report, report_json

    passages, titles = passages_by_source([Path(p) for p in corpus])
    report = evaluate_categories(Path(labels), passages, titles=titles)
    if off_topic:
        read = read_passages([Path(p) for p in off_topic], strict=False)
        for reason in read.skipped:
            click.secho(f"skipped: {reason}", fg="yellow", err=True)
        documents = [(ps, read.titles[path]) for path, ps in read.passages.items()]
        report.off_topic = evaluate_off_topic(documents, n_process=jobs or os.cpu_count() or 1)
    click.echo(json.dumps(report_json(report), ensure_ascii=False, indent=2) if as_json else format_report(report))
    if check and not report.meets_target():
        sys.exit(1)
