"""Sample extracts for demos, tests and benchmarks."""
