{{ config(unique_key='order_id') }}

with cleaned as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_code('order_status') }} as order_status,
        {{ to_timestamp_clean('order_purchase_timestamp') }} as order_purchase_timestamp,
        {{ to_timestamp_clean('order_approved_at') }} as order_approved_at,
        {{ to_timestamp_clean('order_delivered_carrier_date') }} as order_delivered_carrier_date,
        {{ to_timestamp_clean('order_delivered_customer_date') }} as order_delivered_customer_date,
        {{ to_timestamp_clean('order_estimated_delivery_date') }} as order_estimated_delivery_date,
        _loaded_at
    from {{ landing_after_watermark('orders') }} as landing

)

select
    order_id,
    customer_id,
    order_status,
    order_purchase_timestamp,
    order_approved_at,
    order_delivered_carrier_date,
    order_delivered_customer_date,
    order_estimated_delivery_date,
    _loaded_at
from {{ latest_per_key('cleaned', ['order_id']) }} as latest
