#!/bin/bash
# Starts the standalone Hive Metastore of ecomctl's compose stack.
#
# Replaces the image's /entrypoint.sh, whose schema handling differs between Hive releases
# (initSchema on every start unless IS_RESUME=true in some, initOrUpgradeSchema in others):
# this one creates the schema only when `schematool -info` finds none, so a restart or an
# `ecomctl up` on existing volumes starts cleanly.
#
# Environment (set by compose): SERVICE_OPTS (JVM -D options: the metastore's database user
# and password, the warehouse location), HIVE_CUSTOM_CONF_DIR (hive-site.xml, core-site.xml),
# DB_DRIVER (postgres), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (S3A).
set -euo pipefail

export HIVE_CONF_DIR="${HIVE_HOME}/conf"
if [ -d "${HIVE_CUSTOM_CONF_DIR:-}" ]; then
  find "${HIVE_CUSTOM_CONF_DIR}" -maxdepth 1 -type f -exec ln -sfn {} "${HIVE_CONF_DIR}/" \;
  export HADOOP_CONF_DIR="${HIVE_CONF_DIR}"
fi
# Read by both schematool and the metastore (the hive launcher passes it to the JVM).
export HADOOP_CLIENT_OPTS="${HADOOP_CLIENT_OPTS:-} ${SERVICE_OPTS:-}"

db_type="${DB_DRIVER:-postgres}"
if "${HIVE_HOME}/bin/schematool" -dbType "${db_type}" -info >/dev/null 2>&1; then
  echo "metastore schema present"
else
  echo "metastore schema missing: initializing"
  "${HIVE_HOME}/bin/schematool" -dbType "${db_type}" -initSchema
fi

exec "${HIVE_HOME}/bin/hive" --skiphadoopversion --skiphbasecp --service metastore
