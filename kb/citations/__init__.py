"""Citations: one model of how a passage is cited, and the formats every face gives it in
(a French reference line, CSL-JSON, BibTeX, RIS)."""

from kb.citations.formats import FORMATS, CitationFormat, render
from kb.citations.model import Citation, accessed_today, cite

__all__ = ["FORMATS", "Citation", "CitationFormat", "accessed_today", "cite", "render"]
