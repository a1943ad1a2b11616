{#-
  Pieces of the reconciliation tests (tests/silver, tests/gold): figures computed straight
  from the landing tables, independently of bronze, and the tolerance used to compare sums.
-#}

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

{# Landing orders (order_id, normalised order_status, then `columns`), a subquery. #}
{% macro landing_orders(columns=[]) -%}
    (
        select
            order_id,
            lower(trim(order_status)) as order_status
            {%- for column in columns %},
            {{ column }}
            {%- endfor %}
        from {{ landing_latest('orders', ['order_id']) }} as o
    )
{%- endmacro %}

{#
  SELECT of one row: the sales (price + freight_value) of delivered orders' items in landing,
  their item count and their distinct orders: landing_sales, landing_items, landing_orders.
#}
{% macro landing_delivered_sales() -%}
    select
        sum(landing_items.price + landing_items.freight_value) as landing_sales,
        count(*) as landing_items,
        count(distinct landing_items.order_id) as landing_orders
    from (
        select
            order_id,
            {{ to_double_clean('price') }} as price,
            {{ to_double_clean('freight_value') }} as freight_value
        from {{ landing_latest('order_items', ['order_id', 'order_item_id']) }} as i
    ) as landing_items
    inner join {{ landing_orders() }} as landing_orders
        on landing_items.order_id = landing_orders.order_id
    where landing_orders.order_status = 'delivered'
{%- endmacro %}

{#
  SELECT of landing's delivered orders: landing_delivered_orders, and
  landing_delivered_orders_with_items (those with at least one item); one row, or with
  per_month one row per 'YYYY-MM' purchase month (first column `monthly`).
#}
{% macro landing_delivered_orders(per_month=false) -%}
    select
        {%- if per_month %}
        landing_orders.monthly,
        {%- endif %}
        count(*) as landing_delivered_orders,
        count(landing_items.order_id) as landing_delivered_orders_with_items
    from {{ landing_orders(
        [month_label(to_timestamp_clean('order_purchase_timestamp')) ~ ' as monthly'] if per_month else []
    ) }} as landing_orders
    left join (
        select distinct order_id
        from {{ landing_latest('order_items', ['order_id', 'order_item_id']) }} as i
    ) as landing_items
        on landing_orders.order_id = landing_items.order_id
    where landing_orders.order_status = 'delivered'
    {%- if per_month %}
    group by landing_orders.monthly
    {%- endif %}
{%- endmacro %}

{# Predicate: two sums (NULL counting as 0) differ by more than var('reconciliation_tolerance') BRL. #}
{% macro amounts_differ(left, right) -%}
    abs(coalesce({{ left }}, 0) - coalesce({{ right }}, 0)) > {{ var('reconciliation_tolerance', 0.01) }}
{%- endmacro %}


{#
  Predicate: `mean` (money to the cent) is not total / count rounded once, half away from
  zero, to the cent (count > 0). Checked by multiplication alone, exact on every engine and
  independent of any division rule: m is right when m and total have the same sign (or m is
  0) and (200|m| - 1) * count <= 200|total| < (200|m| + 1) * count, i.e. |total| / count lies
  in [|m| - 0.005, |m| + 0.005), the half cent itself rounding away from zero.
#}
{% macro not_cents_of_mean(mean, total, count) -%}
    (
        {{ mean }} is null
        or ({{ mean }} <> 0 and ({{ mean }} < 0) <> ({{ total }} < 0))
        or 200 * abs({{ total }}) < (200 * abs({{ mean }}) - 1) * {{ count }}
        or 200 * abs({{ total }}) >= (200 * abs({{ mean }}) + 1) * {{ count }}
    )
{%- endmacro %}
