"""SA-CCR calculation engine (Basel CRE52): pure pandas/numpy, no Spark, no I/O.

Entry point: :func:`saccr.engine.compute`.
"""
