{#-
  Gold tables carry a primary key in PostgreSQL (ecomctl adds it after each gold run, see
  src/ecomctl/transform/gold_contract.py).
-#}

{#
  dbt-duckdb's table materialization drops every index of the table it replaces before
  renaming it away; in an attached PostgreSQL that includes the primary key's index, which
  PostgreSQL refuses to drop on its own. PostgreSQL keeps a table's indexes through a rename
  and drops them with the table, so there, nothing needs dropping. Other catalogs (DuckDB's
  own) keep dbt-duckdb's behaviour.
#}
{% macro drop_indexes_on_relation(relation) -%}
    {% call statement('catalog_type_of_relation', fetch_result=True, auto_begin=False) %}
        select type from duckdb_databases() where database_name = '{{ relation.database }}'
    {% endcall %}
    {% set found = load_result('catalog_type_of_relation').table %}
    {% if found | length == 0 or found[0][0] != 'postgres' %}
        {% do dbt.drop_indexes_on_relation(relation) %}
    {% endif %}
{%- endmacro %}
