{{ config(unique_key='product_id') }}

with cleaned as (

    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_code('product_category_name') }} as product_category_name,
        -- the real file's misspelled `lenght` columns get their proper names here
        {{ to_int_clean('product_name_lenght') }} as product_name_length,
        {{ to_int_clean('product_description_lenght') }} as product_description_length,
        {{ to_int_clean('product_photos_qty') }} as product_photos_qty,
        {{ to_double_clean('product_weight_g') }} as product_weight_g,
        {{ to_double_clean('product_length_cm') }} as product_length_cm,
        {{ to_double_clean('product_height_cm') }} as product_height_cm,
        {{ to_double_clean('product_width_cm') }} as product_width_cm,
        _loaded_at
    from {{ landing_after_watermark('products') }} as landing

)

select
    product_id,
    product_category_name,
    product_name_length,
    product_description_length,
    product_photos_qty,
    product_weight_g,
    product_length_cm,
    product_height_cm,
    product_width_cm,
    _loaded_at
from {{ latest_per_key('cleaned', ['product_id']) }} as latest
