"""Evaluation toolkit for patient, carer and public involvement in health services."""

__version__ = "0.1.0"
