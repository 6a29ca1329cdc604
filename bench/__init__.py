"""Benchmarks of the engine in two parts: evaluation/ (how well it ranks) and performance/ (how fast it runs)."""
