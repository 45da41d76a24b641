"""A web page and REST API for trained generators (the optional ``serve`` extra).

``models`` loads what is served (safetensors generators or ONNX exports), ``images`` turns seeds
into PNGs, ``work_queue`` bounds the work in flight, ``app`` is the FastAPI app factory and
``runner`` starts uvicorn. Importing this package needs neither FastAPI nor uvicorn; check
`require_serve` before importing ``app`` or ``runner``.
"""

from __future__ import annotations

import importlib.util

from facegan.errors import FaceganError


def require_serve() -> None:
    missing = [m for m in ("fastapi", "fastapi_offline", "uvicorn")
               if not importlib.util.find_spec(m)]
    if missing:
        raise FaceganError(f"facegan serve needs {', '.join(missing)}; install the extra: "
                           "pip install 'facegan[serve]'")
