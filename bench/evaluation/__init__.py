"""Search-quality evaluation (`make eval`): how well the engine ranks, judged queries and PIAF-dev beside baselines."""
