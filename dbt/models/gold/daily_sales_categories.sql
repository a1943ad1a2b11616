{#-
  Daily sales per category over delivered orders. Built from the item-grain fact only:
  sales = sum(price + freight_value) of the items, bills = distinct orders. No payments
  are joined, so nothing is multiplied by the number of payments.
-#}
with delivered_items as (

    {{ delivered_item_sales(['items.order_purchase_date']) }}

)

select
    order_purchase_date as daily,
    category,
    {{ money('sum(item_sales)') }} as sales,
    count(distinct order_id) as bills
from delivered_items
group by order_purchase_date, category
