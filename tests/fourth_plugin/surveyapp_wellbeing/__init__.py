"""A fourth assessment module, shipped as its own distribution (the README's plugin example)."""
