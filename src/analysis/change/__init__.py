"""Stage: change over time by group: preparation, models, sentences and figures (notebook 03).

Layer 3: imports core, stats and present; never another stage.
"""
