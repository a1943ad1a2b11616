-- Run once by the postgres image's entrypoint, on an empty data directory, as POSTGRES_USER
-- connected to POSTGRES_DB (analytics, where gold lives). The databases below belong to that
-- same user, so no other role or password is needed.
CREATE DATABASE metastore;  -- Hive Metastore's schema (created by its schematool)
CREATE DATABASE metabase;   -- Metabase's application database (profile "bi")
