"""Stage: who we heard from (representation, activities) and "you said, we did" actions (notebook 04).

Layer 3: imports core, stats and present; never another stage.
"""
