{{ config(unique_key='product_category_name') }}

with landing as (

    select * from {{ source('landing', 'category_translation') }}
    {% if is_incremental() %}
    where {{ loaded_after_watermark() }}
    {% endif %}

),

cleaned as (

    select
        {{ clean_code('product_category_name') }} as product_category_name,
        {{ clean_code('product_category_name_english') }} as product_category_name_english,
        _loaded_at
    from landing

),

ranked as (

    select
        cleaned.*,
        row_number() over (
            partition by product_category_name order by _loaded_at desc
        ) as _row_number
    from cleaned
    where product_category_name is not null

)

select
    product_category_name,
    product_category_name_english,
    _loaded_at
from ranked
where _row_number = 1
