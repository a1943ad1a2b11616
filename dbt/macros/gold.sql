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
