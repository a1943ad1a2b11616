{#-
  Custom schemas are used as-is (`bronze`, `silver`, `gold`), not prefixed with the target
  schema as dbt does by default: every stack writes to the same three schemas.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
