"""The WSGI entry point for production servers: ``gunicorn 'surveyapp.wsgi:app'``.

A broken plugin stops start-up with its one line on stderr (exit status 3, which gunicorn
reads as "worker failed to boot" and stops instead of restarting workers in a loop);
``SURVEYAPP_DEBUG=1`` shows the traceback instead."""
from __future__ import annotations

import os
import sys

from . import create_app
from .contract import StartupError

BOOT_ERROR = 3


def application():
    try:
        return create_app()
    except StartupError as exc:
        if os.environ.get("SURVEYAPP_DEBUG") == "1":
            raise
        print(f"surveyapp: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(BOOT_ERROR) from None


app = application()
