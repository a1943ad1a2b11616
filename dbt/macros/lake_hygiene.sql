{#-
  Lake hygiene: dropping a table removes its files.

  Spark drops an Iceberg table without PURGE by forgetting it in the metastore only: its data
  and metadata files stay under its location, where the next table of that name (same
  location) finds them as orphans, and any reader that lists the folder reads stale rows. With
  PURGE, Iceberg deletes every file of every snapshot. (Trino's Iceberg DROP TABLE deletes the
  files itself; views have none.) Used by dbt-spark's table and incremental materializations
  (full refresh) through adapter.drop_relation.
  A dropped table loses its history (`query --as-of` cannot read it as an earlier run left
  it): a full refresh drops; a `table` model is replaced in place (see below).
-#}
{% macro spark__drop_relation(relation) -%}
  {% call statement('drop_relation', auto_begin=False) -%}
    drop {{ relation.type }} if exists {{ relation }}{% if relation.type == 'table' %} purge{% endif %}
  {%- endcall %}
{% endmacro %}

{#-
  How dbt-spark learns a table's format: from `show table extended`, which Spark's session
  catalog answers for an Iceberg table with "Provider: hive". dbt-spark then drops a `table`
  model on every run instead of replacing it in place, and the table loses its snapshots
  (`query --as-of` could not read a dimension as an earlier run left it). Listing with
  `show tables` and `describe table extended` per table, dbt-spark's own path for Iceberg v2
  tables, says "Provider: iceberg": that path is taken by answering as Spark does for them.
-#}
{% macro spark__list_relations_without_caching(relation) %}
  {%- if run_query("show databases like '" ~ relation.schema ~ "'").rows | length > 0 -%}
    {% do exceptions.raise_compiler_error("SHOW TABLE EXTENDED is not supported for v2 tables") %}
  {%- endif -%}
  {#- A schema that does not exist: Spark's own error, which dbt-spark reads as "no tables". -#}
  {% call statement('list_relations_without_caching', fetch_result=True) -%}
    show table extended in {{ relation.schema }} like '*'
  {% endcall %}
  {% do return(load_result('list_relations_without_caching').table) %}
{% endmacro %}
