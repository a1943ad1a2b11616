{#-
  Category naming (documented in dim_products.yml):
    - translated category            -> the English name            (category_source = 'translation')
    - category without a translation -> the Portuguese name as-is   (category_source = 'untranslated')
    - product without a category     -> 'unknown'                   (category_source = 'missing')
  so every product has a non-null `category`, untranslated categories stay distinct and
  recognisable, and no revenue is dropped from per-category aggregates.
-#}
{{ config(materialized='table') }}

with products as (

    select * from {{ ref('products') }}

),

translation as (

    select * from {{ ref('category_translation') }}

)

select
    products.product_id,
    products.product_category_name,
    translation.product_category_name_english,
    case
        when products.product_category_name is null then 'unknown'
        when translation.product_category_name_english is null then products.product_category_name
        else translation.product_category_name_english
    end as category,
    case
        when products.product_category_name is null then 'missing'
        when translation.product_category_name_english is null then 'untranslated'
        else 'translation'
    end as category_source,
    products.product_name_length,
    products.product_description_length,
    products.product_photos_qty,
    products.product_weight_g,
    products.product_length_cm,
    products.product_height_cm,
    products.product_width_cm,
    products._loaded_at
from products
left join translation
    on products.product_category_name = translation.product_category_name
