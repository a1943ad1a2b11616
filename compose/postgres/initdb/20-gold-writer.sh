#!/bin/sh
# Run once by the postgres image's entrypoint, after 10-databases.sql: gold's writer, the role
# Trino's gold catalog (de_psql) logs in as. It owns schema gold of analytics and nothing else:
# no superuser, so `CALL de_psql.system.execute(...)` can never reach the server's files or
# programs. The password comes from the container's environment (GOLD_WRITER_PASSWORD).
psql -v ON_ERROR_STOP=1 -v pw="$GOLD_WRITER_PASSWORD" --username "$POSTGRES_USER" --dbname analytics <<'SQL'
SELECT format('CREATE ROLE gold_writer LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'pw') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA gold AUTHORIZATION gold_writer;
SQL
