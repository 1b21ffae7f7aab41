"""generator/event-generator.py: its settings and name sequences, its Kafka I/O against fakes,
and the real program's behaviour when no broker is reachable."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, ClassVar

import pytest

WALKTHROUGH_NAMES = ["Jerry", "George", "Elaine", "Kramer", "Newman", "Frank"]


# --- name sequences ---------------------------------------------------------------------


def test_random_names_are_the_walkthrough_names(generator: ModuleType) -> None:
    assert list(generator.NAMES) == WALKTHROUGH_NAMES
    names = list(generator.name_sequence(count=200, seed=1))
    assert len(names) == 200
    assert set(names) == set(WALKTHROUGH_NAMES)


def test_a_seed_gives_the_same_sequence_every_time(generator: ModuleType) -> None:
    first = list(generator.name_sequence(count=50, seed=7))
    assert list(generator.name_sequence(count=50, seed=7)) == first
    assert list(generator.name_sequence(count=50, seed=8)) != first


def test_without_count_random_names_never_end(generator: ModuleType) -> None:
    endless = generator.name_sequence(seed=3)
    assert len(list(itertools.islice(endless, 1000))) == 1000


def test_fixed_names_come_out_exactly_once_in_order(generator: ModuleType) -> None:
    names = ("Jerry", "George", "Jerry", "Jerry")
    assert list(generator.name_sequence(names)) == list(names)
    # a seed does not shuffle a fixed sequence
    assert list(generator.name_sequence(names, seed=99)) == list(names)


def test_count_cycles_or_cuts_fixed_names(generator: ModuleType) -> None:
    names = ("Jerry", "George")
    assert list(generator.name_sequence(names, count=5)) == [
        "Jerry",
        "George",
        "Jerry",
        "George",
        "Jerry",
    ]
    assert list(generator.name_sequence(names, count=1)) == ["Jerry"]
    assert list(generator.name_sequence(names, count=0)) == []
    assert list(generator.name_sequence(count=0, seed=1)) == []


def test_bad_sequences_are_refused(generator: ModuleType) -> None:
    with pytest.raises(ValueError, match="count must be >= 0"):
        list(generator.name_sequence(count=-1))
    with pytest.raises(ValueError, match="names must not be empty"):
        list(generator.name_sequence(()))


# --- settings -----------------------------------------------------------------------------


def test_defaults_match_the_compose_stack(generator: ModuleType) -> None:
    settings = generator.parse_args([], environ={})
    assert settings == generator.Settings()
    assert settings.broker == "kafka-broker:9092"
    assert settings.rate == 1.0
    assert (settings.count, settings.seed, settings.names) == (None, None, None)
    assert (settings.produce, settings.consume) == (True, True)
    assert (settings.names_topic, settings.greetings_topic) == ("names", "greetings")


@pytest.mark.parametrize(("delay", "rate"), [("1", 1.0), ("2", 0.5), ("0.25", 4.0), ("0", 0.0)])
def test_upstream_positional_delay_still_works(
    generator: ModuleType, delay: str, rate: float
) -> None:
    assert generator.parse_args([delay], environ={}).rate == rate


def test_arguments(generator: ModuleType) -> None:
    settings = generator.parse_args(
        [
            "--broker",
            "localhost:29092",
            "--rate",
            "5",
            "--count",
            "3",
            "--seed",
            "42",
            "--names",
            "Jerry, Elaine",
            "--produce-only",
        ],
        environ={},
    )
    assert settings.broker == "localhost:29092"
    assert settings.rate == 5.0
    assert (settings.count, settings.seed) == (3, 42)
    assert settings.names == ("Jerry", "Elaine")
    assert (settings.produce, settings.consume) == (True, False)
    assert generator.parse_args(["--consume-only"], environ={}).produce is False


def test_environment_fills_what_arguments_leave_out(generator: ModuleType) -> None:
    environ = {
        "GENERATOR_BROKER": "localhost:29092",
        "GENERATOR_RATE": "5",
        "GENERATOR_COUNT": "3",
        "GENERATOR_SEED": "42",
        "GENERATOR_NAMES": "Jerry,Kramer",
    }
    settings = generator.parse_args([], environ=environ)
    assert settings.broker == "localhost:29092"
    assert settings.rate == 5.0
    assert (settings.count, settings.seed, settings.names) == (3, 42, ("Jerry", "Kramer"))

    overridden = generator.parse_args(
        ["--broker", "other:9092", "--count", "9", "--names", "Newman"], environ=environ
    )
    assert (overridden.broker, overridden.count, overridden.names) == (
        "other:9092",
        9,
        ("Newman",),
    )
    assert generator.parse_args(["2"], environ=environ).rate == 0.5


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["2", "--rate", "3"], {}, "either the positional DELAY or --rate"),
        (["--produce-only", "--consume-only"], {}, "not allowed with argument"),
        (["--names", "Jerry,,George"], {}, "non-empty names"),
        (["--count", "-1"], {}, "must be >= 0"),
        (["--rate", "-1"], {}, "must be >= 0"),
        ([], {"GENERATOR_COUNT": "-1"}, "GENERATOR_COUNT='-1' is invalid"),
        ([], {"GENERATOR_RATE": "fast"}, "GENERATOR_RATE='fast' is invalid"),
    ],
)
def test_bad_settings_exit_with_a_clear_message(
    generator: ModuleType,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    environ: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(SystemExit) as exited:
        generator.parse_args(argv, environ=environ)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


# --- Kafka I/O, against fakes -------------------------------------------------------------


class FakeProducer:
    """Records what the generator sends."""

    instances: ClassVar[list[FakeProducer]] = []

    def __init__(self, **config: Any) -> None:
        self.config = config
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.flushes = 0
        self.closed = False
        FakeProducer.instances.append(self)

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        self.sent.append((topic, key, value))

    def flush(self, timeout: float | None = None) -> None:
        self.flushes += 1

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


def test_produce_sends_keyed_greet_requests_to_the_names_topic(
    generator: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from messages_pb2 import GreetRequest

    FakeProducer.instances.clear()
    monkeypatch.setattr(generator, "KafkaProducer", FakeProducer)
    settings = generator.Settings(broker="127.0.0.1:1", rate=0, names=("Jerry", "George", "Jerry"))

    generator.produce(settings, threading.Event())

    (producer,) = FakeProducer.instances
    assert producer.config["bootstrap_servers"] == "127.0.0.1:1"
    assert producer.sent == [
        ("names", name.encode(), GreetRequest(name=name).SerializeToString())
        for name in ["Jerry", "George", "Jerry"]
    ]
    assert producer.flushes == 3
    assert producer.closed


def test_produce_resends_a_name_after_losing_the_broker(
    generator: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kafka.errors import KafkaTimeoutError

    class FlakyProducer(FakeProducer):
        def flush(self, timeout: float | None = None) -> None:
            super().flush(timeout)
            if len(FakeProducer.instances) == 1:
                raise KafkaTimeoutError("flush timed out")

    FakeProducer.instances.clear()
    monkeypatch.setattr(generator, "KafkaProducer", FlakyProducer)
    settings = generator.Settings(broker="127.0.0.1:1", rate=0, names=("Jerry", "George"))

    generator.produce(settings, threading.Event())

    first, second = FakeProducer.instances
    assert [key for _, key, _ in first.sent] == [b"Jerry"]
    assert [key for _, key, _ in second.sent] == [b"Jerry", b"George"]
    assert first.closed and second.closed
    assert "producer: lost the broker at 127.0.0.1:1" in capsys.readouterr().out


def test_connect_retries_while_no_broker_is_reachable(
    generator: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kafka.errors import KafkaTimeoutError

    monkeypatch.setattr(generator, "RETRY_SECONDS", 0)
    attempts = iter([KafkaTimeoutError("Unable to bootstrap"), KafkaTimeoutError("again"), "ok"])

    def factory() -> str:
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    assert generator.connect(factory, "producer", "127.0.0.1:1", threading.Event()) == "ok"
    out = capsys.readouterr().out.splitlines()
    assert (
        out
        == ["producer: no broker reachable at 127.0.0.1:1, retrying in 0 s (KafkaTimeoutError)"] * 2
    )


def test_connect_gives_up_when_stopped(generator: ModuleType) -> None:
    stop = threading.Event()
    stop.set()
    assert generator.connect(lambda: pytest.fail("must not connect"), "x", "b", stop) is None


class FakeConsumer:
    """Hands out prepared poll() batches, then empty ones."""

    instances: ClassVar[list[FakeConsumer]] = []

    def __init__(self, *topics: str, **config: Any) -> None:
        self.topics = topics
        self.config = config
        self.batches: list[dict[str, list[Any]]] = []
        self.seeks: list[tuple[str, int]] = []
        self.closed = False
        FakeConsumer.instances.append(self)

    def seek(self, partition: str, offset: int) -> None:
        self.seeks.append((partition, offset))

    def poll(self, timeout_ms: int = 0) -> dict[str, list[Any]]:
        return self.batches.pop(0) if self.batches else {}

    def close(self) -> None:
        self.closed = True


def test_consume_prints_greetings_read_committed(
    generator: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from messages_pb2 import GreetResponse

    def record(name: str, greeting: str, offset: int = 0) -> SimpleNamespace:
        value = GreetResponse(name=name, greeting=greeting).SerializeToString()
        return SimpleNamespace(key=name.encode(), value=value, offset=offset)

    class PreparedConsumer(FakeConsumer):
        def __init__(self, *topics: str, **config: Any) -> None:
            super().__init__(*topics, **config)
            self.batches = [
                {"tp0": [record("Jerry", "Welcome Jerry"), record("George", "Welcome George")]},
                {},
                {"tp0": [SimpleNamespace(key=b"x", value=b"\xff\xff"), record("Jerry", "Hi")]},
            ]

    FakeConsumer.instances.clear()
    monkeypatch.setattr(generator, "KafkaConsumer", PreparedConsumer)
    settings = generator.Settings(broker="127.0.0.1:1", max_greetings=3)
    stop = threading.Event()

    generator.consume(settings, stop)

    (consumer,) = FakeConsumer.instances
    assert consumer.topics == ("greetings",)
    assert consumer.config["isolation_level"] == "read_committed"
    assert consumer.config["auto_offset_reset"] == "earliest"
    assert consumer.config["group_id"] == "event-gen"
    assert consumer.closed
    assert stop.is_set()  # max_greetings reached: the whole program stops
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["Jerry:\tWelcome Jerry", "George:\tWelcome George"]
    assert lines[2].startswith("consumer: skipped a record that is not a GreetResponse")
    assert lines[3:] == ["Jerry:\tHi"]


# --- the program, with no broker ------------------------------------------------------------

Spawn = Callable[..., tuple[Any, Any]]


@pytest.mark.parametrize(
    ("mode", "stop_signal", "roles"),
    [
        ([], signal.SIGTERM, {"producer", "consumer"}),
        (["--produce-only"], signal.SIGINT, {"producer"}),
        (["--consume-only"], signal.SIGTERM, {"consumer"}),
    ],
    ids=["both-sigterm", "produce-only-sigint", "consume-only-sigterm"],
)
def test_without_broker_it_says_so_retries_and_stops_cleanly(
    root: Path,
    spawn: Spawn,
    unused_loopback_port: Callable[[], int],
    mode: list[str],
    stop_signal: signal.Signals,
    roles: set[str],
) -> None:
    broker = f"127.0.0.1:{unused_loopback_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERATOR_")}
    env["PYTHONUNBUFFERED"] = "1"
    proc, output = spawn(
        [sys.executable, "generator/event-generator.py", "--broker", broker, *mode],
        cwd=root,
        env=env,
    )

    expected = f"no broker reachable at {broker}, retrying"
    seen: set[str] = set()
    while seen != roles:
        line = output.wait_for(lambda text: expected in text, timeout=30)
        role = line.split(":", 1)[0]
        assert role in roles, line
        seen.add(role)
    assert proc.poll() is None, "it must keep retrying, not give up"

    proc.send_signal(stop_signal)
    assert proc.wait(timeout=20) == 0
    rest = output.rest(timeout=5)
    assert rest[-1] == "Good bye!"
    assert not any("Traceback" in line for line in rest), rest


def test_consume_prints_exactly_max_greetings_and_leaves_the_rest_unread(
    generator: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from messages_pb2 import GreetResponse

    def record(name: str, offset: int) -> SimpleNamespace:
        value = GreetResponse(name=name, greeting=f"Welcome {name}").SerializeToString()
        return SimpleNamespace(key=name.encode(), value=value, offset=offset)

    class OneBigPoll(FakeConsumer):
        def __init__(self, *topics: str, **config: Any) -> None:
            super().__init__(*topics, **config)
            self.batches = [
                {
                    "tp0": [record("Jerry", 10), record("Elaine", 11), record("Kramer", 12)],
                    "tp1": [record("George", 40), record("Newman", 41)],
                }
            ]

    FakeConsumer.instances.clear()
    monkeypatch.setattr(generator, "KafkaConsumer", OneBigPoll)
    stop = threading.Event()

    generator.consume(generator.Settings(broker="127.0.0.1:1", max_greetings=2), stop)

    (consumer,) = FakeConsumer.instances
    assert capsys.readouterr().out.splitlines() == [
        "Jerry:\tWelcome Jerry",
        "Elaine:\tWelcome Elaine",
    ]
    # the group's position is left at the first greeting not printed, on each partition
    assert consumer.seeks == [("tp0", 12), ("tp1", 40)]
    assert stop.is_set() and consumer.closed
