"""A web page and REST API for trained generators (the optional ``serve`` extra).

``models`` loads what is served (safetensors generators or ONNX exports), ``images`` turns seeds
into PNGs, ``work_queue`` bounds the work in flight, ``app`` is the FastAPI app factory and
``runner`` starts uvicorn. Importing this package needs neither FastAPI nor uvicorn.
"""
