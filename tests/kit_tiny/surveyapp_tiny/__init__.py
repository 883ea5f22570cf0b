"""tiny: the smallest module that passes the conformance kit; tests/test_conformance_kit.py breaks it one rule at a time."""
