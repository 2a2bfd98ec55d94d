"""Command line (``python -m analysis``): all argument parsing lives here.

Layer 5: may import anything.
"""
