"""Stage: who we heard from (representation, activities, co-production) and what we did (notebook 04).

Modules: ``representation`` (reach against the population), ``coproduction`` (the ladder of involvement),
``actions`` ("you said, we did", coverage of themes, progress), ``theme_links`` (actions follow the theme
book), ``case_studies`` (consented stories linked to themes).

Layer 3: imports core, stats and present; never another stage.
"""
