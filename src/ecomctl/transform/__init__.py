"""dbt: the bundled project, one child process per run, layers in order with row counts."""
