"""Docker HEALTHCHECK for the greeter: one real request-reply round trip.

It POSTs the invocation the runtime would send for a first "Jerry" (no state yet) and
checks what the runtime checks: HTTP 200, the exact ``application/octet-stream`` content
type, and a ``FromFunction`` body. The function is stateless between requests (the
runtime owns the state), so this probe changes nothing.

Usage: ``python healthcheck.py [URL]`` (default ``http://127.0.0.1:8000/statefun``).
"""

from __future__ import annotations

import sys
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/statefun"

# ToFunction{invocation{target example/greeter/Jerry, state [seen_count: absent],
# invocations [argument Any(com.googleapis/example.GreetRequest, name="Jerry")]}}
PROBE_REQUEST = bytes.fromhex(
    "a2065b0a190a076578616d706c651207677265657465721a054a65727279120c0a0a7365656e5f636f756e"
    "741a30122e0a23636f6d2e676f6f676c65617069732f6578616d706c652e477265657452657175657374"
    "12070a054a65727279"
)
# Every serialized FromFunction with a result starts with field 100, wire type 2.
FROM_FUNCTION_PREFIX = b"\xa2\x06"


def probe(url: str = DEFAULT_URL, timeout: float = 2.0) -> str | None:
    """Return None when the endpoint answers like a StateFun function, else the problem."""
    req = urllib.request.Request(
        url,
        data=PROBE_REQUEST,
        headers={"Content-Type": "application/octet-stream"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            content_type = resp.headers.get("Content-Type")
            body = resp.read()
    except OSError as exc:
        return f"{url} did not answer: {exc}"
    if content_type != "application/octet-stream":
        return f"{url} answered with Content-Type {content_type!r}"
    if not body.startswith(FROM_FUNCTION_PREFIX):
        return f"{url} answered with a body that is not a FromFunction: {body[:16]!r}"
    return None


def main(argv: list[str]) -> int:
    problem = probe(argv[1] if len(argv) > 1 else DEFAULT_URL)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
