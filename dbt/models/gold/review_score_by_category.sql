{#-
  Review scores per category. An order counts once per category it has items in (distinct
  (order, category) pairs), with the order's review score (its latest review, fact_orders).
  Orders without items or without review are left out.
-#}
with order_categories as (

    select distinct
        items.order_id,
        coalesce(products.category, 'unknown') as category
    from {{ ref('fact_order_items') }} as items
    left join {{ ref('dim_products') }} as products
        on items.product_id = products.product_id

),

reviewed as (

    select
        order_categories.category,
        orders.order_id,
        orders.review_score
    from order_categories
    inner join {{ ref('fact_orders') }} as orders
        on order_categories.order_id = orders.order_id
    where orders.review_score is not null

),

by_category as (

    select
        category,
        count(*) as reviewed_orders,
        {{ mean('review_score') }} as avg_review_score,
        count(case when review_score = 1 then 1 end) as one_star_orders,
        count(case when review_score = 5 then 1 end) as five_star_orders
    from reviewed
    group by category

)

select
    category,
    reviewed_orders,
    avg_review_score,
    {{ ratio('one_star_orders', 'reviewed_orders') }} as one_star_share,
    {{ ratio('five_star_orders', 'reviewed_orders') }} as five_star_share
from by_category
