"""Scale and speed harness: a seeded generator of fictitious alliances (``benchmarks.generate``)."""
