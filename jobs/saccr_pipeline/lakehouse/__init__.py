"""The Delta lakehouse: the Spark session, table schemas and locations, commits, the run log."""
