"""Turns source files into passages, and passages into a Whoosh index."""
