{#-
  Incremental helpers. Every lake table carries `_loaded_at`, the landing batch time set by
  ecomctl's loader; bronze keeps it and silver keeps the latest `_loaded_at` of the rows an
  output row was built from, so `max(_loaded_at)` of a model is its high-water mark.
-#}

{# Scalar subquery: the high-water mark of `relation` (default: the model being built). #}
{% macro watermark(relation=none, column='_loaded_at') -%}
    (select coalesce(max({{ column }}), {{ epoch_timestamp() }}) from {{ relation if relation is not none else this }})
{%- endmacro %}

{# Predicate: rows loaded after the model's high-water mark. Use only inside is_incremental(). #}
{% macro loaded_after_watermark(column='_loaded_at', relation=none) -%}
    {{ column }} > {{ watermark(relation) }}
{%- endmacro %}

{#
  Silver facts are rebuilt per order: on an incremental run, the orders touched by any bronze
  row newer than the model's watermark are recomputed in full (all their items, payments and
  reviews, old and new) and merged on the model's unique key.
  `changed_order_ids(['orders', 'order_items'])` renders a SELECT of those order ids.
#}
{% macro changed_order_ids(bronze_models) -%}
    {%- for m in bronze_models %}
    select order_id from {{ ref(m) }} where {{ loaded_after_watermark() }}
    {%- if not loop.last %}
    union{% endif %}
    {%- endfor %}
{%- endmacro %}

{#
  Latest row per key of a landing table (landing may hold several appended batches).
  Used by the reconciliation tests to compare the lake with its source.
#}
{% macro landing_latest(table, key_columns) -%}
    (select * from (
        select src.*, row_number() over (
            partition by {{ key_columns | join(', ') }} order by _loaded_at desc) as _landing_rn
        from {{ source('landing', table) }} src
    ) ranked where _landing_rn = 1)
{%- endmacro %}
