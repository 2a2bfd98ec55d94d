"""Statistics shared by the stages: proportions and their intervals, two-group comparisons, power.

Layer 1: imports only :mod:`analysis.core`.
"""
