"""Event generator of the StateFun 2.x Python walkthrough.

It plays the outside world around the greeter:

* a producer thread writes names to the ``names`` topic, keyed by the name (the routable
  Kafka ingress uses the key as the function id), as serialized ``example.GreetRequest``;
* a consumer thread reads ``example.GreetResponse`` records from ``greetings`` and prints
  them as ``<name>:<TAB><greeting>``. It reads with ``isolation_level='read_committed'``,
  so it only shows what the exactly-once egress has committed (one checkpoint later).

Examples::

    python event-generator.py                       # random names, 1 per second, forever
    python event-generator.py 2                     # upstream style: 2 seconds between names
    python event-generator.py --rate 10 --count 100 --seed 7
    python event-generator.py --names Jerry,George,Jerry --produce-only
    python event-generator.py --consume-only --broker localhost:29092

Every option can also come from the environment (``GENERATOR_BROKER``, ``GENERATOR_RATE``,
``GENERATOR_COUNT``, ``GENERATOR_SEED``, ``GENERATOR_NAMES``); a command-line argument wins.
SIGTERM or SIGINT stops both threads, prints "Good bye!" and exits with status 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

from google.protobuf.message import DecodeError
from kafka import KafkaConsumer, KafkaProducer
from kafka import errors as kafka_errors
from messages_pb2 import GreetRequest, GreetResponse

NAMES: tuple[str, ...] = ("Jerry", "George", "Elaine", "Kramer", "Newman", "Frank")
DEFAULT_BROKER = "kafka-broker:9092"
DEFAULT_RATE = 1.0
NAMES_TOPIC = "names"
GREETINGS_TOPIC = "greetings"
CONSUMER_GROUP = "event-gen"
RETRY_SECONDS = 2.0
BOOTSTRAP_TIMEOUT_MS = 2000
POLL_TIMEOUT_MS = 500

ENV_PREFIX = "GENERATOR_"

# kafka-python 3.x raises KafkaTimeoutError("Unable to bootstrap from ...") when no
# broker answers in time; 2.x raised NoBrokersAvailable. Treat them all as "retry".
NO_BROKER_ERRORS: tuple[type[BaseException], ...] = tuple(
    error
    for error in (
        getattr(kafka_errors, "NoBrokersAvailable", None),
        kafka_errors.KafkaTimeoutError,
        kafka_errors.KafkaConnectionError,
    )
    if error is not None
)

_Client = TypeVar("_Client")


@dataclass(frozen=True)
class Settings:
    """What to produce and consume, and where."""

    broker: str = DEFAULT_BROKER
    rate: float = DEFAULT_RATE
    count: int | None = None
    seed: int | None = None
    names: tuple[str, ...] | None = None
    produce: bool = True
    consume: bool = True
    max_greetings: int | None = None
    names_topic: str = NAMES_TOPIC
    greetings_topic: str = GREETINGS_TOPIC
    group_id: str = CONSUMER_GROUP
    verbose: bool = False


def name_sequence(
    names: Sequence[str] | None = None,
    count: int | None = None,
    seed: int | None = None,
) -> Iterator[str]:
    """Yield the names to produce.

    With ``names``, yield exactly those in order (``count`` of them, cycling through the
    list; by default the list once). Otherwise yield random walkthrough names, from a
    ``random.Random(seed)`` so a seed gives the same sequence every run, ``count`` of them
    or forever when ``count`` is None.
    """
    if count is not None and count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if names is not None:
        if not names:
            raise ValueError("names must not be empty")
        total = len(names) if count is None else count
        for i in range(total):
            yield names[i % len(names)]
        return
    rng = random.Random(seed)
    produced = 0
    while count is None or produced < count:
        yield rng.choice(NAMES)
        produced += 1


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _name_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(","))
    if not names or any(not name for name in names):
        raise argparse.ArgumentTypeError(f"expected comma-separated non-empty names, got {text!r}")
    return names


def _from_env(
    parser: argparse.ArgumentParser,
    environ: Mapping[str, str],
    name: str,
    convert: Callable[[str], Any],
) -> Any:
    variable = ENV_PREFIX + name
    raw = environ.get(variable)
    if raw is None or raw == "":
        return None
    try:
        return convert(raw)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        parser.error(f"environment variable {variable}={raw!r} is invalid: {exc}")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="event-generator.py",
        description="Produce names to Kafka and print the greetings that come back.",
    )
    parser.add_argument(
        "delay",
        nargs="?",
        type=_positive_float,
        help="seconds between two names (the upstream walkthrough's only argument); "
        "same as --rate 1/DELAY",
    )
    parser.add_argument("--broker", help=f"Kafka bootstrap servers (default {DEFAULT_BROKER})")
    parser.add_argument(
        "--rate",
        type=_positive_float,
        help=f"names per second, 0 for as fast as possible (default {DEFAULT_RATE:g})",
    )
    parser.add_argument(
        "--count",
        type=_non_negative_int,
        help="how many names to produce (default: forever; with --names, the list once)",
    )
    parser.add_argument("--seed", type=int, help="seed for the random names (default: random)")
    parser.add_argument(
        "--names",
        type=_name_list,
        help="produce this comma-separated sequence instead of random names, e.g. Jerry,Jerry",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--produce-only", action="store_true", help="do not read greetings")
    mode.add_argument("--consume-only", action="store_true", help="do not produce names")
    parser.add_argument(
        "--max-greetings",
        type=_non_negative_int,
        help="exit after printing this many greetings (default: run until stopped)",
    )
    parser.add_argument("--names-topic", default=NAMES_TOPIC, help="default %(default)s")
    parser.add_argument("--greetings-topic", default=GREETINGS_TOPIC, help="default %(default)s")
    parser.add_argument("--group-id", default=CONSUMER_GROUP, help="default %(default)s")
    parser.add_argument("-v", "--verbose", action="store_true", help="show kafka-python logs")
    return parser


def parse_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from arguments, then ``GENERATOR_*`` environment variables, then defaults."""
    parser = build_parser()
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ

    if args.delay is not None and args.rate is not None:
        parser.error("give either the positional DELAY or --rate, not both")
    if args.delay is not None:
        rate = 0.0 if args.delay == 0 else 1.0 / args.delay
    elif args.rate is not None:
        rate = args.rate
    else:
        env_rate = _from_env(parser, env, "RATE", _positive_float)
        rate = DEFAULT_RATE if env_rate is None else env_rate

    def pick(value: Any, name: str, convert: Callable[[str], Any], default: Any = None) -> Any:
        if value is not None:
            return value
        from_env = _from_env(parser, env, name, convert)
        return default if from_env is None else from_env

    return Settings(
        broker=pick(args.broker, "BROKER", str, DEFAULT_BROKER),
        rate=rate,
        count=pick(args.count, "COUNT", _non_negative_int),
        seed=pick(args.seed, "SEED", int),
        names=pick(args.names, "NAMES", _name_list),
        produce=not args.consume_only,
        consume=not args.produce_only,
        max_greetings=args.max_greetings,
        names_topic=args.names_topic,
        greetings_topic=args.greetings_topic,
        group_id=args.group_id,
        verbose=args.verbose,
    )


def say(text: str) -> None:
    """Print one line at once (several threads print)."""
    print(text, flush=True)


def connect(
    factory: Callable[[], _Client], role: str, broker: str, stop: threading.Event
) -> _Client | None:
    """Create a Kafka client, retrying while no broker is reachable; None if stopped."""
    while not stop.is_set():
        try:
            return factory()
        except NO_BROKER_ERRORS as exc:
            say(
                f"{role}: no broker reachable at {broker}, retrying in {RETRY_SECONDS:g} s "
                f"({type(exc).__name__})"
            )
            stop.wait(RETRY_SECONDS)
    return None


def produce(settings: Settings, stop: threading.Event) -> None:
    """Send the name sequence to the names topic, paced at ``settings.rate``."""
    names = name_sequence(settings.names, settings.count, settings.seed)
    pending: str | None = next(names, None)
    if pending is None:
        return
    producer: KafkaProducer | None = None
    interval = 0.0 if settings.rate == 0 else 1.0 / settings.rate
    next_at = time.monotonic()
    try:
        while pending is not None and not stop.is_set():
            if producer is None:
                producer = connect(
                    lambda: KafkaProducer(
                        bootstrap_servers=settings.broker,
                        acks="all",
                        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
                    ),
                    "producer",
                    settings.broker,
                    stop,
                )
                if producer is None:
                    return
                next_at = time.monotonic()
            if stop.wait(max(0.0, next_at - time.monotonic())):
                return
            request = GreetRequest(name=pending)
            try:
                producer.send(
                    settings.names_topic,
                    key=pending.encode("utf-8"),
                    value=request.SerializeToString(),
                )
                producer.flush(timeout=10)
            except kafka_errors.KafkaError as exc:
                say(f"producer: lost the broker at {settings.broker} ({exc}), reconnecting")
                producer.close(timeout=1)
                producer = None
                continue  # send the same name again
            pending = next(names, None)
            next_at += interval
    finally:
        if producer is not None:
            producer.close(timeout=5)


def consume(settings: Settings, stop: threading.Event) -> None:
    """Print the greetings from the greetings topic until stopped (or max_greetings)."""
    consumer = connect(
        lambda: KafkaConsumer(
            settings.greetings_topic,
            bootstrap_servers=settings.broker,
            group_id=settings.group_id,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        ),
        "consumer",
        settings.broker,
        stop,
    )
    if consumer is None:
        return
    left = settings.max_greetings  # None: no limit
    try:
        while not stop.is_set():
            if left is not None and left <= 0:
                stop.set()
                return
            batches = consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
            for partition, records in batches.items():
                for record in records:
                    if left is not None and left <= 0:
                        # Exactly max_greetings lines, even when a poll brings more: the rest
                        # stay unread for the next run of this consumer group.
                        consumer.seek(partition, record.offset)
                        break
                    try:
                        response = GreetResponse.FromString(record.value)
                    except DecodeError:
                        say(f"consumer: skipped a record that is not a GreetResponse: {record!r}")
                        continue
                    say(f"{response.name}:\t{response.greeting}")
                    if left is not None:
                        left -= 1
    finally:
        consumer.close()


def run(settings: Settings, stop: threading.Event) -> int:
    """Run the producer and consumer threads until done or stopped; the exit status."""
    failures: list[str] = []

    def guarded(target: Callable[[Settings, threading.Event], None], role: str) -> None:
        try:
            target(settings, stop)
        except Exception as exc:  # the thread's last word; the process then stops
            failures.append(role)
            say(f"{role}: stopped by an unexpected error: {type(exc).__name__}: {exc}")
            stop.set()

    threads: list[threading.Thread] = []
    if settings.produce:
        threads.append(threading.Thread(target=guarded, args=(produce, "producer"), daemon=True))
    if settings.consume:
        threads.append(threading.Thread(target=guarded, args=(consume, "consumer"), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return 1 if failures else 0


def install_signal_handlers(stop: threading.Event) -> None:
    """SIGTERM/SIGINT ask the threads to stop; a second signal exits at once."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            say("Stopping now.")
            os._exit(1)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    if settings.verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    install_signal_handlers(stop)
    modes = [
        f"producing to '{settings.names_topic}'" if settings.produce else "",
        f"reading '{settings.greetings_topic}'" if settings.consume else "",
    ]
    say(f"event-generator: {' and '.join(m for m in modes if m)} on {settings.broker}")
    status = run(settings, stop)
    say("Good bye!")
    return status


if __name__ == "__main__":
    sys.exit(main())
