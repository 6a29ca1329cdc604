"""Knowledge base on AI risks and human rights: domain model and search service."""

__version__ = "0.1.0"

import logging as _logging

# A library logs; the application decides where it goes (the server sends it to stderr).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
