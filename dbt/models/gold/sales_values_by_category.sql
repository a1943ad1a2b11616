{#-
  The guide's monthly report, without its bugs:
    monthly          'YYYY-MM' of the purchase time (month_label: the right pattern per engine)
    category         English category name (dim_products.category)
    total_sales      sum(price + freight_value) of the items of delivered orders
    total_bills      distinct delivered orders with at least one item in the category
    values_per_bills total_sales / total_bills
  Item grain only: payments are never joined, so revenue is not multiplied.
-#}
with delivered_items as (

    {{ delivered_item_sales([month_label('items.order_purchase_timestamp') ~ ' as monthly']) }}

),

monthly_category as (

    select
        monthly,
        category,
        sum(item_sales) as total_sales,
        count(distinct order_id) as total_bills
    from delivered_items
    group by monthly, category

)

select
    monthly,
    category,
    {{ money('total_sales') }} as total_sales,
    total_bills,
    {{ money_divide('total_sales', 'total_bills') }} as values_per_bills
from monthly_category
