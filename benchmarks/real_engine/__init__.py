"""Figures for the real engine (statefun.flink.FlinkStack): start-up, memory, sustained load.

    .venv/bin/python benchmarks/real_engine                       # cold + warm start, ramp
    .venv/bin/python benchmarks/real_engine --upstream            # ... and upstream's SDK beside
    .venv/bin/python benchmarks/real_engine --knobs               # ... and one knob at a time
    .venv/bin/python benchmarks/real_engine --no-cold --no-ramp   # a warm start's figures only
    .venv/bin/python benchmarks/real_engine --json figures.json   # every figure, machine-readable

The greeter is the walkthrough's own Flask app (``greeter:app``) under gunicorn (4 sync
workers), as in Docker, on the real StateFun 2.2.2 runtime (Flink 1.11.3 in one JVM) with a
Kafka 3.7.1 broker and exactly-once egress. Printed:

* Start-up per component, cold (an empty jar cache of the run's own, ``STATEFUN_LAB_CACHE``
  in a temporary directory: the jars are downloaded from Maven Central; ``--no-cold`` skips
  it) and warm (jars cached): jars fetched and verified, gunicorn answering, Kafka ready with
  its topics, the StateFun job RUNNING, its first completed checkpoint, and the total.
* RSS per process (the two JVMs, gunicorn's master, its workers together) after the start,
  and the peak after the ramp.
* The ramp: names produced at rising offered rates (``--rates``, ``--seconds`` each, over
  ``--keys`` distinct names per step), each greeting read committed (``read_committed``) and
  matched to its send: greetings delivered per second (in a window as long as the step,
  shifted by the median latency) and the produce -> committed-read latency p50 / p99 (it
  includes up to one checkpoint interval). The ramp stops at saturation: p99 beyond
  ``--p99-limit``, under 85% of the offer delivered, or no +10% over the previous step.
* ``--upstream``: the same run with upstream's SDK (``apache-flink-statefun==2.2.2``, its
  protobuf 3.20.3, flask, gunicorn) in a venv of its own (made once under
  ``~/.cache/statefun-lab/upstream-serving``, see benchmarks/serving.py; PyPI needed the
  first time) serving the same greeter.py behind the same gunicorn settings: side by side.
* ``--knobs``: a fresh stack per variant, one knob changed from the baseline at a time
  (gunicorn workers, module.yaml's ``maxNumBatchRequests``, the checkpoint interval, Flink's
  parallelism), a light step (latency) and a heavy one (twice the ramp's best throughput).

Nothing is asserted. The load generator (this process: kafka-python producer and reader)
shares the machine's cores with the stack, so the figures compare configurations on one
machine; they are not the engine's ceiling.
"""

HELP = __doc__ or ""
