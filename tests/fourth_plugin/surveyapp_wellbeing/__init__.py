"""A fourth assessment module, shipped as its own distribution: the worked example of the plugin
contract (docs/plugins.md). Tested with the conformance kit (tests/test_fourth_plugin.py)."""
