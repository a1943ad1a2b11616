{{ config(materialized='table') }}

with customers as (

    select * from {{ ref('customers') }}

),

zip_coordinates as (

    -- one point per zip prefix: the mean of the (deduplicated) geolocation rows
    select
        geolocation_zip_code_prefix as zip_code_prefix,
        avg(geolocation_lat) as latitude,
        avg(geolocation_lng) as longitude
    from {{ ref('geolocation') }}
    group by geolocation_zip_code_prefix

)

select
    customers.customer_id,
    customers.customer_unique_id,
    customers.customer_zip_code_prefix,
    customers.customer_city,
    customers.customer_state,
    zip_coordinates.latitude as customer_latitude,
    zip_coordinates.longitude as customer_longitude,
    customers._loaded_at
from customers
left join zip_coordinates
    on customers.customer_zip_code_prefix = zip_coordinates.zip_code_prefix
