"""A module written against the hooks as documented before ModulePlugin (README 'Writing a plugin'
of that time): every registration a plain hook. tests/test_plugin_old_style.py keeps it working."""
