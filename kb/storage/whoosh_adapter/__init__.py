"""Whoosh, the one adapter of kb/storage/backend.py: the schema, opening and checking builds,
writing passages, and the IndexView the search stages read through. With kb/analysis, the only
code that imports whoosh (tests/test_architecture.py)."""
