"""Risk categories: the taxonomy, the classifier that assigns them, and its evaluation."""
