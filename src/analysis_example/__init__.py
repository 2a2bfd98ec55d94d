"""Synthetic example data generator (not part of the runtime package): ``python -m analysis make-example``."""
