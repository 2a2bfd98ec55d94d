"""What may be shown: table formatting, figures, de-identification of free text.

Layer 2: imports :mod:`analysis.core` and :mod:`analysis.stats`.
"""
