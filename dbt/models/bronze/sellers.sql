{{ config(unique_key='seller_id') }}

with landing as (

    select * from {{ source('landing', 'sellers') }}
    {% if is_incremental() %}
    where {{ loaded_after_watermark() }}
    {% endif %}

),

cleaned as (

    select
        {{ clean_text('seller_id') }} as seller_id,
        {{ clean_zip('seller_zip_code_prefix') }} as seller_zip_code_prefix,
        {{ clean_city('seller_city') }} as seller_city,
        {{ clean_state('seller_state') }} as seller_state,
        _loaded_at
    from landing

),

ranked as (

    select
        cleaned.*,
        row_number() over (partition by seller_id order by _loaded_at desc) as _row_number
    from cleaned
    where seller_id is not null

)

select
    seller_id,
    seller_zip_code_prefix,
    seller_city,
    seller_state,
    _loaded_at
from ranked
where _row_number = 1
