"""Search-quality evaluation: judged queries over corpus/, PIAF-dev, baselines and tuning."""
