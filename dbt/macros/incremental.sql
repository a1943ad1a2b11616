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
  Bronze input: the landing rows loaded after the model's high-water mark (every row on a
  first run or a full refresh), as a parenthesised subquery:
  `from {{ landing_after_watermark('orders') }} as landing`.
#}
{% macro landing_after_watermark(table) -%}
    (
        select * from {{ source('landing', table) }}
        {%- if is_incremental() %}
        where {{ loaded_after_watermark() }}
        {%- endif %}
    )
{%- endmacro %}

{#
  The latest row per key of `relation` (a CTE name or a relation), as a parenthesised
  subquery: landing may hold several appended batches, and delete+insert needs one row per
  key. The latest `_loaded_at` wins; `tie_breakers` (e.g. ['review_answer_timestamp desc'])
  order the rows of one batch. Rows with a NULL key column are dropped. row_number(), not
  QUALIFY (not portable). The subquery also has a `_row_number` column: select the model's
  columns from it by name.
  (The reconciliation tests read landing with their own landing_latest, so that a mistake
  here cannot hide itself.)
#}
{% macro latest_per_key(relation, key_columns, tie_breakers=[]) -%}
    (
        select * from (
            select
                candidates.*,
                row_number() over (
                    partition by {{ key_columns | join(', ') }}
                    order by {{ (['_loaded_at desc'] + tie_breakers) | join(', ') }}
                ) as _row_number
            from {{ relation }} as candidates
            where {% for key in key_columns %}{{ key }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
        ) as ranked
        where _row_number = 1
    )
{%- endmacro %}

{#
  Silver facts are rebuilt per order: on an incremental run, the orders touched by any bronze
  row newer than the model's watermark are recomputed in full (all their items, payments and
  reviews, old and new) and merged on the model's unique key. A fact starts with
      with
      {{ changed_orders_cte(['orders', 'order_items']) }}
      items as (select * from {{ ref('order_items') }} {{ only_changed_orders() }}), ...
  Both render nothing when the run is not incremental (first run, full refresh, tables).
#}

{# The CTE `changed_orders` (with its trailing comma): the order ids that have bronze rows newer
   than the model's watermark in any of `bronze_models` (bronze models with an order_id). #}
{% macro changed_orders_cte(bronze_models) -%}
    {%- if is_incremental() %}
changed_orders as (
    {%- for m in bronze_models %}
    select order_id from {{ ref(m) }} where {{ loaded_after_watermark() }}
    {%- if not loop.last %}
    union{% endif %}
    {%- endfor %}
),
    {%- endif %}
{%- endmacro %}

{# WHERE clause keeping the rows of the changed orders (put changed_orders_cte first). #}
{% macro only_changed_orders() -%}
    {%- if is_incremental() %}where order_id in (select order_id from changed_orders){% endif %}
{%- endmacro %}
