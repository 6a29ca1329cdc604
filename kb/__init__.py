"""Knowledge base on AI risks and human rights: domain model and search service."""

__version__ = "0.1.0"
