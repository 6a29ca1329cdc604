"""The measuring face of `kb`: `kb eval categories`, the categoriser against hand-labelled
passages (and documents about something else, where no passage may get a category)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click


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
