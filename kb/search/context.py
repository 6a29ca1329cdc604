"""One request's context: the build it reads (snapshot, taken once under the index lock), that
build's searcher, vectors, thesaurus, vocabulary and documents, and the citer of its passages,
made once and passed down to every stage, so that no stage goes back to the KnowledgeBase."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kb.citations.lookup import Citer
from kb.search.match import TermReads
from kb.search.meaning import Semantic
from kb.search.ranking import RankingParams
from kb.search.request import SearchRequest
from kb.search.suggest import Vocabulary, vocabulary_for
from kb.search.thesaurus import Thesaurus, thesaurus_for
from kb.storage.store import KnowledgeBase, Session, Snapshot


@dataclass
class SearchContext:
    """What the stages of one search read, all of one build."""

    kb: KnowledgeBase
    session: Session
    request: SearchRequest
    params: RankingParams
    semantic: Semantic | None = None  # the build's vectors and the query's rows; None: by words alone
    reads: TermReads = field(default_factory=TermReads)  # each term's postings, read once per request

    @property
    def snapshot(self) -> Snapshot:
        return self.session.snapshot

    @property
    def searcher(self) -> Any:
        return self.session.searcher

    @cached_property
    def reader(self) -> Any:
        return self.session.searcher.reader()

    @property
    def documents(self) -> Mapping[str, dict[str, Any]]:
        return self.session.snapshot.documents

    @cached_property
    def thesaurus(self) -> Thesaurus:
        return thesaurus_for(self.snapshot.path)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return vocabulary_for(self.snapshot.path, self.reader)

    @cached_property
    def citer(self) -> Citer:
        return Citer(self.kb, self.request.public_url, documents=self.documents)
