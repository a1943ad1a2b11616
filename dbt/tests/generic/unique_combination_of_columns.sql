{#-
  The combination of `combination_of_columns` is unique over the model (a composite key).
  Like dbt_utils.unique_combination_of_columns, written here because packages cannot be
  installed offline. NULLs are compared as values (use not_null on each column as well).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as duplicate_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
