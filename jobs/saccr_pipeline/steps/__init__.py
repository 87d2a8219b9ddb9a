"""The pipeline steps (ingest, validate, compute, publish, marts), their registry and the job they run in."""
