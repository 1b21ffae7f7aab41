#!/usr/bin/env bash
# Regenerates every committed *_pb2.py / *_pb2.pyi from its .proto with the pinned grpcio-tools.
# Usage: scripts/gen_protos.sh   (or: make protos)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
# The SDK protos are compiled from inside statefun/protos so the descriptor file names are
# request-reply.proto, kafka-egress.proto and kinesis-egress.proto, as in the upstream SDK.
"$PY" -m grpc_tools.protoc -I statefun/protos --python_out=statefun --pyi_out=statefun \
    statefun/protos/request-reply.proto statefun/protos/kafka-egress.proto \
    statefun/protos/kinesis-egress.proto
# The walkthrough's messages (package example; Reset is notebook 08's), for the greeter and a
# copy for the event generator (its Docker build context is generator/ alone).
if [ -f greeter/messages.proto ]; then
    for out in greeter generator; do
        "$PY" -m grpc_tools.protoc -I greeter --python_out="$out" --pyi_out="$out" \
            greeter/messages.proto
    done
fi
# Messages of the SDK's own tests.
"$PY" -m grpc_tools.protoc -I tests/protos --python_out=tests/protos --pyi_out=tests/protos \
    tests/protos/sdk_test.proto
echo "protos regenerated"
