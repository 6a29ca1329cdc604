"""The index on disk: its schema, the layout of builds, their integrity, and read access."""
