{#-
  Grain: one row per payment (order_id, payment_sequential). Payments include freight and
  belong to the order, not to its items: never join them to items before summing.
-#}
{{ config(unique_key=['order_id', 'payment_sequential']) }}

with

{{ changed_orders_cte(['orders', 'order_payments']) }}

payments as (

    select * from {{ ref('order_payments') }}
    {{ only_changed_orders() }}

),

orders as (

    select * from {{ ref('orders') }}
    {{ only_changed_orders() }}

)

select
    payments.order_id,
    payments.payment_sequential,
    payments.payment_type,
    payments.payment_installments,
    payments.payment_value,
    orders.customer_id,
    orders.order_status,
    orders.order_purchase_timestamp,
    cast(orders.order_purchase_timestamp as date) as order_purchase_date,
    greatest(payments._loaded_at, coalesce(orders._loaded_at, payments._loaded_at)) as _loaded_at
from payments
left join orders
    on payments.order_id = orders.order_id
