"""Stage: read, validate, standardise and de-identify raw exports into processed tables (notebook 01).

Layer 3: imports core, stats and present; never another stage.
"""
