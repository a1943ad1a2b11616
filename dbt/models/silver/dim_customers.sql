{{ config(materialized='table') }}

with customers as (

    select * from {{ ref('customers') }}

),

zip_coordinates as (

    {{ zip_prefix_coordinates() }}

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
