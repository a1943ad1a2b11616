{#-
  Daily sales per category over delivered orders. Built from the item-grain fact only:
  sales = sum(price + freight_value) of the items, bills = distinct orders. No payments
  are joined, so nothing is multiplied by the number of payments.
-#}
with delivered_items as (

    select
        items.order_id,
        items.order_purchase_date,
        coalesce(products.category, 'unknown') as category,
        items.price + items.freight_value as item_sales
    from {{ ref('fact_order_items') }} as items
    left join {{ ref('dim_products') }} as products
        on items.product_id = products.product_id
    where items.order_status = 'delivered'

)

select
    order_purchase_date as daily,
    category,
    sum(item_sales) as sales,
    count(distinct order_id) as bills
from delivered_items
group by order_purchase_date, category
