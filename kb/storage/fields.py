"""The fields every passage is indexed under, whatever the backend: their names say what analysis
fills them (lemmas, stems, the words as written), and SCHEMA_VERSION says when that changed."""

from __future__ import annotations

# Bumped whenever the schema or the analysis chain changes: forces a full rebuild.
SCHEMA_VERSION = 10  # 6: documents list their capitals (citations); 7: lead-ins and descriptions searched; 8: elisions typed without apostrophe, stop words without accents; 9: passages store their kind (contact, links…); 10: … and the kind is a column

LEMMA_FIELDS = ("text", "heading", "title")
STEM_FIELDS = ("text_stem", "heading_stem", "title_stem", "context_stem", "description_stem")
WORDS_FIELD = "words"  # unstemmed, accents kept: the word exactly as written
