"""Evaluation toolkit for patient, carer and public involvement in health services."""

from analysis import numerics as _numerics

__version__ = "0.1.0"

# Before any of our modules loads numpy, torch or numba: the same themes on every machine.
_numerics._pin_on_import()
