{{ config(unique_key='order_id') }}

with landing as (

    select * from {{ source('landing', 'orders') }}
    {% if is_incremental() %}
    where {{ loaded_after_watermark() }}
    {% endif %}

),

cleaned as (

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
    from landing

),

ranked as (

    select
        cleaned.*,
        row_number() over (partition by order_id order by _loaded_at desc) as _row_number
    from cleaned
    where order_id is not null

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
from ranked
where _row_number = 1
