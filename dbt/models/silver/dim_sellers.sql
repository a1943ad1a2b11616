{{ config(materialized='table') }}

with sellers as (

    select * from {{ ref('sellers') }}

),

zip_coordinates as (

    {{ zip_prefix_coordinates() }}

)

select
    sellers.seller_id,
    sellers.seller_zip_code_prefix,
    sellers.seller_city,
    sellers.seller_state,
    zip_coordinates.latitude as seller_latitude,
    zip_coordinates.longitude as seller_longitude,
    sellers._loaded_at
from sellers
left join zip_coordinates
    on sellers.seller_zip_code_prefix = zip_coordinates.zip_code_prefix
