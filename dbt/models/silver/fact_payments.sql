{#-
  Grain: one row per payment (order_id, payment_sequential). Payments include freight and
  belong to the order, not to its items: never join them to items before summing.
-#}
{{ config(unique_key=['order_id', 'payment_sequential']) }}

with

{% if is_incremental() %}
changed_orders as (
    {{ changed_order_ids(['orders', 'order_payments']) }}
),
{% endif %}

payments as (

    select * from {{ ref('order_payments') }}
    {% if is_incremental() %}
    where order_id in (select order_id from changed_orders)
    {% endif %}

),

orders as (

    select * from {{ ref('orders') }}
    {% if is_incremental() %}
    where order_id in (select order_id from changed_orders)
    {% endif %}

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
