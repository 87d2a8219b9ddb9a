"""Data quality between bronze and silver: the suites as rules, GX, run-level checks, conformance."""
