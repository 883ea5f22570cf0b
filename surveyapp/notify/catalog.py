"""The notification kinds and channels of an app: the core's, then the plugins', by id, built once."""
from __future__ import annotations

from typing import Any, Iterable

from flask import current_app


def by_id(extension_key: str, core: Iterable[Any], hook_name: str, what: str) -> dict[str, Any]:
    """``{id: item}`` of the core's items and each plugin's ``hook_name`` result (whose types the
    plugin contract has checked); an id registered twice stops with its name."""
    cached = current_app.extensions.get(extension_key)
    if cached is None:
        from .. import get_registry
        cached = {item.id: item for item in core}
        for contributed in getattr(get_registry().hook, hook_name)():
            for item in contributed:
                if item.id in cached:
                    raise ValueError(f"notification {what} {item.id!r} is registered twice")
                cached[item.id] = item
        current_app.extensions[extension_key] = cached
    return cached
