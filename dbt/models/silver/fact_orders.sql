{#-
  Grain: one row per order. Items, payments and reviews are each aggregated to the order
  BEFORE being joined, so no measure is multiplied by another table's rows.
  Incremental: orders touched by new bronze rows of any of the four tables are recomputed
  in full and merged on order_id.
-#}
{{ config(unique_key='order_id') }}

with

{{ changed_orders_cte(['orders', 'order_items', 'order_payments', 'order_reviews']) }}

orders as (

    select * from {{ ref('orders') }}
    {{ only_changed_orders() }}

),

items as (

    select
        order_id,
        count(*) as items_count,
        sum(price) as items_value,
        sum(freight_value) as freight_value,
        max(_loaded_at) as _loaded_at
    from {{ ref('order_items') }}
    {{ only_changed_orders() }}
    group by order_id

),

payments as (

    select
        order_id,
        count(*) as payments_count,
        sum(payment_value) as payments_value,
        max(_loaded_at) as _loaded_at
    from {{ ref('order_payments') }}
    {{ only_changed_orders() }}
    group by order_id

),

reviews_ranked as (

    select
        order_id,
        review_score,
        row_number() over (
            partition by order_id
            order by review_answer_timestamp desc, review_creation_date desc, review_id desc
        ) as review_rank,
        count(*) over (partition by order_id) as reviews_count,
        max(_loaded_at) over (partition by order_id) as _loaded_at
    from {{ ref('order_reviews') }}
    {{ only_changed_orders() }}

),

latest_review as (

    select order_id, review_score, reviews_count, _loaded_at
    from reviews_ranked
    where review_rank = 1

)

select
    orders.order_id,
    orders.customer_id,
    orders.order_status,
    case when orders.order_status = 'delivered' then true else false end as is_delivered,
    orders.order_purchase_timestamp,
    cast(orders.order_purchase_timestamp as date) as order_purchase_date,
    orders.order_approved_at,
    orders.order_delivered_carrier_date,
    orders.order_delivered_customer_date,
    orders.order_estimated_delivery_date,
    {{ dbt.datediff(
        'cast(orders.order_purchase_timestamp as date)',
        'cast(orders.order_delivered_customer_date as date)', 'day') }} as days_to_deliver,
    {{ dbt.datediff(
        'cast(orders.order_purchase_timestamp as date)',
        'cast(orders.order_estimated_delivery_date as date)', 'day') }} as days_estimated,
    case
        when orders.order_delivered_customer_date is null
            or orders.order_estimated_delivery_date is null then null
        when cast(orders.order_delivered_customer_date as date)
            <= cast(orders.order_estimated_delivery_date as date) then true
        else false
    end as is_delivered_on_time,
    coalesce(items.items_count, 0) as items_count,
    coalesce(items.items_value, 0) as items_value,
    coalesce(items.freight_value, 0) as freight_value,
    coalesce(items.items_value, 0) + coalesce(items.freight_value, 0) as items_total_value,
    coalesce(payments.payments_count, 0) as payments_count,
    coalesce(payments.payments_value, 0) as payments_value,
    latest_review.review_score,
    coalesce(latest_review.reviews_count, 0) as reviews_count,
    greatest(
        orders._loaded_at,
        coalesce(items._loaded_at, orders._loaded_at),
        coalesce(payments._loaded_at, orders._loaded_at),
        coalesce(latest_review._loaded_at, orders._loaded_at)
    ) as _loaded_at
from orders
left join items
    on orders.order_id = items.order_id
left join payments
    on orders.order_id = payments.order_id
left join latest_review
    on orders.order_id = latest_review.order_id
