"""Stage: themes in open text: embeddings, the theme model, registry, review decisions, theme tables (notebook 02).

Layer 3: imports core, stats and present; never another stage.
"""
