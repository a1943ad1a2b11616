{#-
  Lake hygiene: dropping a table removes its files.

  Spark drops an Iceberg table without PURGE by forgetting it in the metastore only: its data
  and metadata files stay under its location, where the next table of that name (same
  location) finds them as orphans, and any reader that lists the folder reads stale rows. With
  PURGE, Iceberg deletes every file of every snapshot. (Trino's Iceberg DROP TABLE deletes the
  files itself; views have none.) Used by dbt-spark's table and incremental materializations
  (full refresh) through adapter.drop_relation.
-#}
{% macro spark__drop_relation(relation) -%}
  {% call statement('drop_relation', auto_begin=False) -%}
    drop {{ relation.type }} if exists {{ relation }}{% if relation.type == 'table' %} purge{% endif %}
  {%- endcall %}
{% endmacro %}
