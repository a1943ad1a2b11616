{#-
  Delivery performance of delivered orders per purchase month. on_time_rate is over the
  delivered orders that have a delivery date; days are calendar days (fact_orders).
-#}
with delivered_orders as (

    select
        {{ month_label('order_purchase_timestamp') }} as monthly,
        order_id,
        order_delivered_customer_date,
        is_delivered_on_time,
        days_to_deliver,
        days_estimated
    from {{ ref('fact_orders') }}
    where order_status = 'delivered'

),

by_month as (

    select
        monthly,
        count(*) as delivered_orders,
        count(order_delivered_customer_date) as orders_with_delivery_date,
        count(case when is_delivered_on_time then 1 end) as on_time_orders,
        count(case when not is_delivered_on_time then 1 end) as late_orders,
        {{ mean('days_to_deliver') }} as avg_days_to_deliver,
        {{ mean('days_estimated') }} as avg_days_estimated
    from delivered_orders
    group by monthly

)

select
    monthly,
    delivered_orders,
    orders_with_delivery_date,
    on_time_orders,
    late_orders,
    {{ ratio('on_time_orders', 'orders_with_delivery_date') }} as on_time_rate,
    avg_days_to_deliver,
    avg_days_estimated
from by_month
