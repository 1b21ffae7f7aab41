"""The golden vector of spec §1.2, probed with the real 2.2.2 SDK: one place for every test."""

from __future__ import annotations

# Written out, not imported from statefun.exercises.flask_route: this is the oracle the
# package's copy (and the greeter's answer) is checked against, so it must not be the package's.

# A first "Jerry" for example/greeter, no seen_count yet, from the ingress (typeUrl verbatim)...
GOLDEN_REQUEST = bytes.fromhex(
    "a2065b0a190a076578616d706c651207677265657465721a054a65727279120c0a0a7365656e5f636f756e74"
    "1a30122e0a23636f6d2e676f6f676c65617069732f6578616d706c652e47726565745265717565737412070a"
    "054a65727279"
)
# ...and the greeter's answer: seen_count=1 and "Welcome Jerry" to the greetings topic.
GOLDEN_RESPONSE = bytes.fromhex(
    "a206cb010a3b0801120a7365656e5f636f756e741a2b0a25747970652e676f6f676c65617069732e636f6d2f"
    "6578616d706c652e5365656e436f756e7412020801228b010a076578616d706c6512066772656574731a780a"
    "4a747970652e676f6f676c65617069732e636f6d2f6f72672e6170616368652e666c696e6b2e737461746566"
    "756e2e666c696e6b2e696f2e4b61666b6150726f64756365725265636f7264122a0a054a6572727912160a05"
    "4a65727279120d57656c636f6d65204a657272791a096772656574696e6773"
)
