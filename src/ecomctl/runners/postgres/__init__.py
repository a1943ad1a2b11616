"""The embedded PostgreSQL server (server.py), the account it runs as under root (account.py),
and the runner that offers it to the embedded stack (runner.py)."""
