{#-
  One spelling per city after cleaning: every zip of the geolocation file keeps one city name,
  whether the file wrote it plain, with precomposed accents, or with combining marks.
  Fails with the zips that still have several.
-#}
select geolocation_zip_code_prefix, count(distinct geolocation_city) as spellings
from {{ ref('geolocation') }}
group by geolocation_zip_code_prefix
having count(distinct geolocation_city) > 1
