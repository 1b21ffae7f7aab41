"""The greeter image's entry point: greeter.py's functions behind ``statefun.serving.aiohttp_app``.

greeter.py stays the walkthrough's code, with its own bare Flask view (``greeter:app``). That view
reads any body whole and answers a function's error with Flask's HTML 500. Served here instead,
the same ``functions`` get a body limit (413 over 16 MiB, chunked bodies too), the 400/404/500
mapping the runtime acts on (a function's exception logged with an error id, not sent back), and
an event loop per worker, which slow or silent clients cannot tie up (see greeter/Dockerfile).

    gunicorn --bind 127.0.0.1:8000 --worker-class aiohttp.GunicornWebWorker serve:app
"""

from greeter import functions
from statefun.serving import aiohttp_app

app = aiohttp_app(functions)
