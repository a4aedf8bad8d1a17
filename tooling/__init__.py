"""Developer tooling around the job: replay, local run on moto, packaging and deploy, scoring.

Nothing here ships to Managed Flink: the application zip holds jobs/ (runtime), udfs/ and sql/
only (tooling/package.py, asserted by tests/test_package.py).
"""
