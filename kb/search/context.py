"""One request's context: the build it reads (snapshot, taken once under the index lock), a view
of that build, its vectors, thesaurus, vocabulary, documents and filters, and the citer of its
passages, made once and passed down to every stage, so that no stage goes back to the KnowledgeBase."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from kb.citations.lookup import Citer
from kb.models import Passage
from kb.search.collectors import Filters
from kb.search.meaning import Semantic
from kb.search.ranking import RankingParams
from kb.search.request import SearchRequest
from kb.search.suggest import Vocabulary, vocabulary_for
from kb.search.thesaurus import Thesaurus, thesaurus_for
from kb.storage.backend import IndexView
from kb.storage.query import AnyOf, Term
from kb.storage.store import KnowledgeBase, Session, Snapshot

MAX_CACHED_CITATIONS = 20_000


@dataclass
class SearchContext:
    """What the stages of one search read, all of one build."""

    kb: KnowledgeBase
    session: Session
    request: SearchRequest
    params: RankingParams
    semantic: Semantic | None = None  # the build's vectors and the query's rows; None: by words alone

    @property
    def snapshot(self) -> Snapshot:
        return self.session.snapshot

    @property
    def view(self) -> IndexView:
        return self.session.view

    @property
    def documents(self) -> Mapping[str, dict[str, Any]]:
        return self.session.snapshot.documents

    @cached_property
    def thesaurus(self) -> Thesaurus:
        return thesaurus_for(self.snapshot.path)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return vocabulary_for(self.snapshot.path, self.view)

    @cached_property
    def filters(self) -> Filters:
        """The passages of the request's categories and documents, each filter matched once."""
        def within(field: str, values: tuple[str, ...]) -> frozenset[int] | None:
            return frozenset(self.view.matches(AnyOf(tuple(Term(field, v) for v in values)))) if values else None

        return Filters(within("categories", self.request.categories), within("doc_id", self.request.documents))

    @cached_property
    def citer(self) -> Citer:
        return Citer(self.kb, self.request.public_url, documents=self.documents)

    def citation_facts(self, passage: Passage) -> dict[str, Any]:
        """The `url` and `citation` of a passage's view, made once per build, site address and day
        (the same passages come back in many searches; a citation costs more than finding it)."""
        made: dict[tuple[str, str, date], dict[str, Any]] = self.view.derived("citation-facts", lambda _view: {})
        key = (passage.id, self.request.public_url, self.citer.accessed)
        facts = made.get(key)
        if facts is None:
            if len(made) >= MAX_CACHED_CITATIONS:  # site addresses come from requests: bounded
                made.clear()
            facts = made[key] = self.citer.facts(passage)
        return facts
