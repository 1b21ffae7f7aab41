"""Serve the functions over HTTP, as the StateFun runtime calls them (port 8000, /statefun).

gunicorn --bind 0.0.0.0:8000 --worker-class aiohttp.GunicornWebWorker serve:app
"""

from functions import functions

from statefun.serving import aiohttp_app

app = aiohttp_app(functions)
