{{ config(unique_key=['order_id', 'order_item_id']) }}

with landing as (

    select * from {{ source('landing', 'order_items') }}
    {% if is_incremental() %}
    where {{ loaded_after_watermark() }}
    {% endif %}

),

cleaned as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ to_int_clean('order_item_id') }} as order_item_id,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('seller_id') }} as seller_id,
        {{ to_timestamp_clean('shipping_limit_date') }} as shipping_limit_date,
        {{ to_money_clean('price') }} as price,
        {{ to_money_clean('freight_value') }} as freight_value,
        _loaded_at
    from landing

),

ranked as (

    select
        cleaned.*,
        row_number() over (
            partition by order_id, order_item_id order by _loaded_at desc
        ) as _row_number
    from cleaned
    where order_id is not null and order_item_id is not null

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
from ranked
where _row_number = 1
