"""StateFun Lab's ``statefun``: a drop-in, wire-compatible Apache Flink StateFun 2.x Python SDK.

The same imports as ``apache-flink-statefun`` 2.2.2::

    from statefun import StatefulFunctions, RequestReplyHandler, kafka_egress_record

plus a local runtime (:mod:`statefun.local`) that runs functions like the Flink runtime does.
"""

from __future__ import annotations

from statefun.core import StatefulFunctions, kafka_egress_record, kinesis_egress_record
from statefun.request_reply import AsyncRequestReplyHandler, RequestReplyHandler

__all__ = [
    "AsyncRequestReplyHandler",
    "RequestReplyHandler",
    "StatefulFunctions",
    "kafka_egress_record",
    "kinesis_egress_record",
]

__version__ = "0.1.0"
