"""Foundations every stage uses: validated cycle config, paths, errors, vocabularies, readers, schemas, recording.

Layer 0 of the import rule (see ``tests/test_import_rules.py``): imports nothing else from ``analysis``.
"""
