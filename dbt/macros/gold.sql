{#-
  Logic shared by gold models.
-#}

{#
  SELECT of the items of delivered orders with their sales and category: order_id, then
  `columns` (expressions over `items`, fact_order_items), category (dim_products.category,
  'unknown' for a product missing from dim_products) and item_sales (price + freight_value).
  Item grain: no payment is joined, so nothing is multiplied by the number of payments.
#}
{% macro delivered_item_sales(columns=[]) -%}
    select
        items.order_id,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        coalesce(products.category, 'unknown') as category,
        items.price + items.freight_value as item_sales
    from {{ ref('fact_order_items') }} as items
    left join {{ ref('dim_products') }} as products
        on items.product_id = products.product_id
    where items.order_status = 'delivered'
{%- endmacro %}


{#-
  Gold's column types, the same on every engine that builds gold (DuckDB, Trino) and in the
  PostgreSQL tables they write: BI tools read counts as integers (count() is a bigint
  everywhere), money and ratios as exact decimals of a stated precision, never as floats.
-#}

{# Money (BRL) rounded to the cent: numeric(18,2). `expr` is an exact decimal (a sum of money);
   round() of a decimal rounds half away from zero on every engine. #}
{% macro money(expr) -%}
    cast(round({{ expr }}, 2) as decimal(18, 2))
{%- endmacro %}

{#
  Money divided by a count (a mean of money, such as sales per bill), exact to the cent on every
  engine: numeric(18,2), rounded once, half away from zero (148.73 / 2 = 74.365 gives 74.37,
  -148.73 / 2 gives -74.37); NULL when the denominator is 0 or NULL. The amount must be money
  to the cent (a sum of decimal(14,2) prices, say): it is divided as a whole number of cents by
  an integer, q = (2|cents| + |d|) div 2|d|, which is exact on every engine. A decimal division
  is not: DuckDB divides decimals as doubles, Trino keeps the dividend's scale, Spark lowers
  the scale when the precision runs out.
#}
{% macro money_divide(numerator, denominator) -%}
    {%- set cents = 'cast((' ~ numerator ~ ') * 100 as ' ~ dbt.type_bigint() ~ ')' -%}
    {%- set count = 'cast(' ~ denominator ~ ' as ' ~ dbt.type_bigint() ~ ')' -%}
    cast(
        cast(
            case when {{ count }} <> 0 then
                case when ({{ cents }} < 0) = ({{ count }} < 0) then 1 else -1 end
                * {{ integer_divide('2 * abs(' ~ cents ~ ') + abs(' ~ count ~ ')', '2 * abs(' ~ count ~ ')') }}
            end
        as decimal(18, 0)) * 0.01
    as decimal(18, 2))
{%- endmacro %}

{# A share or rate, numerator / denominator: numeric(9,6); NULL when the denominator is 0 or NULL. #}
{% macro ratio(numerator, denominator) -%}
    cast({{ safe_divide(numerator, denominator) }} as decimal(9, 6))
{%- endmacro %}

{# The mean of a numeric column (an aggregate): numeric(12,4). #}
{% macro mean(expr) -%}
    cast(avg(cast({{ expr }} as {{ type_double() }})) as decimal(12, 4))
{%- endmacro %}
