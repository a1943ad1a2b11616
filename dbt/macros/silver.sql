{#-
  Logic shared by silver models.
-#}

{#
  SELECT of one point per zip prefix: the mean of the (deduplicated) bronze geolocation rows.
  Columns zip_code_prefix, latitude, longitude; dim_customers and dim_sellers join it on their
  zip prefix.
#}
{% macro zip_prefix_coordinates() -%}
    select
        geolocation_zip_code_prefix as zip_code_prefix,
        avg(geolocation_lat) as latitude,
        avg(geolocation_lng) as longitude
    from {{ ref('geolocation') }}
    group by geolocation_zip_code_prefix
{%- endmacro %}
