{#- Sales of delivered orders per customer state (item grain, no payment fan-out). -#}
with delivered_items as (

    select
        items.order_id,
        items.customer_id,
        items.price + items.freight_value as item_sales
    from {{ ref('fact_order_items') }} as items
    where items.order_status = 'delivered'

),

by_state as (

    select
        coalesce(customers.customer_state, 'unknown') as customer_state,
        sum(delivered_items.item_sales) as total_sales,
        count(distinct delivered_items.order_id) as total_bills,
        count(distinct customers.customer_unique_id) as customers
    from delivered_items
    left join {{ ref('dim_customers') }} as customers
        on delivered_items.customer_id = customers.customer_id
    group by coalesce(customers.customer_state, 'unknown')

)

select
    customer_state,
    {{ money('total_sales') }} as total_sales,
    total_bills,
    customers,
    {{ money_divide('total_sales', 'total_bills') }} as values_per_bills
from by_state
