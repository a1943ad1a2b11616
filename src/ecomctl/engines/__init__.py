"""Talking to the engines: DuckDB in-process, and Trino, Spark Thrift and PostgreSQL clients."""
