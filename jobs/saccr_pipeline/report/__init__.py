"""The run report: what a run published, as an HTML page with charts (no Spark)."""
