{{ config(unique_key=['order_id', 'order_item_id']) }}

with cleaned as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ to_int_clean('order_item_id') }} as order_item_id,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('seller_id') }} as seller_id,
        {{ to_timestamp_clean('shipping_limit_date') }} as shipping_limit_date,
        {{ to_money_clean('price') }} as price,
        {{ to_money_clean('freight_value') }} as freight_value,
        _loaded_at
    from {{ landing_after_watermark('order_items') }} as landing

)

select
    order_id,
    order_item_id,
    product_id,
    seller_id,
    shipping_limit_date,
    price,
    freight_value,
    _loaded_at
from {{ latest_per_key('cleaned', ['order_id', 'order_item_id']) }} as latest
