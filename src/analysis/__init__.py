"""Evaluation toolkit for patient, carer and public involvement in health services.

Importing the package, or any module in it, has no side effects: process-wide settings
(the portable arithmetic of :mod:`analysis.core.numerics`) are applied by the entry points.
"""

__version__ = "0.1.0"
