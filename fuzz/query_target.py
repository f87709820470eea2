"""The query target: mutated DNS packets through the query reader and the whole answer path.

Two `QueryHandler`s answer over one catalog (the bundled zones/ and the corpus zone
`zones/answers.yaml`, with a locator and a health snapshot as the app gives them): the fast one
keeps replies (`cache_replies=True`), the slow one does not. Each input is handled over UDP and
over TCP from a client address on 127.0.0.0/8: twice by the fast handler (the second time
usually from its reply cache) and once by the slow one, every random generator seeded alike
before each call. Invariants: `handle` never raises and nothing is logged at ERROR; every
reply keeps the rules of `query_checks` (no reply to QR=1, ID and question echoed, flags, OPT and
ECS, the UDP size, dnspython reads it); and fast and slow agree: same ID, header word, question
and sections as multisets of records. Where the slow path drew at random (weighted, multivalue),
a fast reply that differs must be one the slow path gives with some other seed.

`deep` inputs (every corpus input and 1 in 50 mutants) also go to a running server
(`BackgroundServer`, 127.0.0.1, a free port) over UDP and TCP, each followed by a normal query
that must still be answered correctly.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import tempfile
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fuzz import dnswire, mutate
from fuzz.dnswire import Message
from fuzz.engine import CORPUS, Broken, Case, LogCollector, collecting, load_corpus, shown
from fuzz.query_checks import NONE, Expectation, check_reply, expect
from r53emu.app import ServerConfig
from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthSnapshot, initial_statuses
from r53emu.model.catalog import Catalog
from r53emu.server.handler import QueryHandler
from r53emu.testing.background import BackgroundServer
from r53emu.zonefiles.loader import load_catalog

REPO = Path(__file__).resolve().parent.parent
BUNDLED_ZONES = REPO / "zones"
SERVED_ZONE = CORPUS / "zones" / "answers.yaml"
CLIENTS = ("127.0.0.1", "127.0.0.2", "127.3.2.1", "127.255.255.254")
LOGGERS = ("r53emu", "asyncio")
REDRAWS = 200  # slow-path seeds tried for the replies a drawn answer can have
TOO_MANY = 50  # more distinct slow replies than this: compare header and question only
PROBE_NAME = "www.example.test"
PROBE_VALUES = {b"\xc0\x00\x02\x0a", b"\xc0\x00\x02\x0b", b"\xc0\x00\x02\x0c"}
NETWORK_SECONDS = 2.0


class DrawTracking(random.Random):
    """A generator that notes whether a draw (not a shuffle) was made with it."""

    drew = False

    def choice(self, *args: Any, **kwargs: Any) -> Any:
        self.drew = True
        return super().choice(*args, **kwargs)

    def choices(self, *args: Any, **kwargs: Any) -> list[Any]:
        self.drew = True
        return super().choices(*args, **kwargs)

    def sample(self, *args: Any, **kwargs: Any) -> list[Any]:
        self.drew = True
        return super().sample(*args, **kwargs)


def served_zones(directory: Path) -> Path:
    """The zones the query target serves, copied into `directory`."""
    for path in [*sorted(BUNDLED_ZONES.iterdir()), SERVED_ZONE]:
        if path.is_file():
            shutil.copy(path, directory / path.name)
    return directory


Corrupt = Callable[[bytes, bytes | None], bytes | None]  # (query, fast reply) -> reply


class Answering:
    """A fast and a slow handler over one catalog, and the checks of one query on both.

    `corrupt`, when given, rewrites each reply of the fast handler: a seam for the tests that
    show the checks fail when the handler misbehaves (never used by a real run).
    """

    def __init__(self, catalog: Catalog, log: LogCollector, corrupt: Corrupt | None = None) -> None:
        self.log = log
        self.corrupt = corrupt
        locator = Locator(catalog.client_locations, None, None)
        health = HealthSnapshot(initial_statuses(catalog.health_checks))
        self.fast = QueryHandler(catalog, random.Random(0), cache_replies=True)
        self.slow = QueryHandler(catalog, DrawTracking(0), cache_replies=False)
        for handler in (self.fast, self.slow):
            handler.locator, handler.health = locator, health

    def check(self, packet: bytes, client: str, transport: str) -> tuple[Expectation, str]:
        expected = expect(packet)
        seed = zlib.crc32(packet + transport.encode())
        self.log.take()
        first = self._handle(self.fast, packet, client, transport, seed)
        second = self._handle(self.fast, packet, client, transport, seed)
        slow = self._handle(self.slow, packet, client, transport, seed)
        drew = isinstance(self.slow.rng, DrawTracking) and self.slow.rng.drew
        errors = [record for record in self.log.take() if record.levelno >= 40]
        if errors:
            raise Broken("logged-error", "\n".join(shown(record) for record in errors))
        reference = check_reply(expected, slow, transport)
        replies = [check_reply(expected, reply, transport) for reply in (first, second)]
        if reference is not None:
            self._agree(packet, client, transport, reference, replies, drew)
        return expected, outcome(expected, reference, transport)

    def _handle(
        self, handler: QueryHandler, packet: bytes, client: str, transport: str, seed: int
    ) -> bytes | None:
        handler.rng.seed(seed)
        if isinstance(handler.rng, DrawTracking):
            handler.rng.drew = False
        try:
            reply = handler.handle(packet, client, transport)
            if self.corrupt is not None and handler is self.fast:
                reply = self.corrupt(packet, reply)
            return reply
        except Exception:
            path = "fast" if handler.replies is not None else "slow"
            detail = f"{path} path over {transport}:\n{traceback.format_exc()}"
            raise Broken("exception", detail) from None

    def _agree(
        self,
        packet: bytes,
        client: str,
        transport: str,
        reference: Message,
        replies: Sequence[Message | None],
        drew: bool,
    ) -> None:
        wanted = reference.summary
        differing = [reply for reply in replies if reply is not None and reply.summary != wanted]
        if not differing:
            return
        if drew:
            possible = self._possible(packet, client, transport)
            if len(possible) > TOO_MANY:  # too many outcomes to know them: the header only
                keys = {summary[:3] for summary in possible}
                if all(reply.summary[:3] in keys for reply in differing):
                    return
            elif all(reply.summary in possible for reply in differing):
                return
        fast = differing[0]
        raise Broken(
            "fast-slow",
            f"over {transport} from {client}, the fast path's {fast.end}-byte reply differs from "
            f"the slow path's {reference.end}-byte reply"
            f"{' (drawn: and from every reply it gave with other seeds)' if drew else ''}\n"
            + difference(fast, reference),
        )

    def _possible(self, packet: bytes, client: str, transport: str) -> set[tuple[object, ...]]:
        """The slow path's replies over REDRAWS seeds (stopping past TOO_MANY of them)."""
        found: set[tuple[object, ...]] = set()
        for seed in range(REDRAWS):
            reply = self._handle(self.slow, packet, client, transport, seed)
            if reply is None:
                continue
            try:
                found.add(dnswire.read_message(reply).summary)
            except dnswire.WireError as exc:
                detail = f"{exc} in the {len(reply)}-byte reply over {transport} (seed {seed})"
                raise Broken("unreadable-reply", detail) from None
            if len(found) > TOO_MANY:
                break
        return found


def difference(fast: Message, slow: Message) -> str:
    """What differs between two replies: header words, question, records of each section."""
    lines = []
    if (fast.ident, fast.flags) != (slow.ident, slow.flags):
        lines.append(
            f"header: fast id {fast.ident} flags {fast.flags:#06x}, slow id "
            f"{slow.ident} flags {slow.flags:#06x}"
        )
    if fast.questions != slow.questions:
        lines.append(f"question: fast {fast.questions}, slow {slow.questions}")
    for section in ("answer", "authority", "additional"):
        mine, theirs = Counter(getattr(fast, section)), Counter(getattr(slow, section))
        for label, records in (("fast only", mine - theirs), ("slow only", theirs - mine)):
            shown_records = list(records.elements())
            if shown_records:
                listed = "\n    ".join(map(str, shown_records[:4]))
                more = f"\n    ... {len(shown_records) - 4} more" if len(shown_records) > 4 else ""
                lines.append(f"{section}, {label}:\n    {listed}{more}")
    return "\n".join(lines)


def outcome(expected: Expectation, reply: Message | None, transport: str) -> str:
    """A label of how the query was answered (new labels keep an input for mutation)."""
    if reply is None:
        return f"{transport} none"
    if expected.kind in ("formerr", "notimp"):
        reason = "".join("N" if c.isdigit() else c for c in expected.why.split(":")[0])
        return f"{transport} {expected.kind} {reason}"
    sizes = [min(len(section), 9) for section in (reply.answer, reply.authority, reply.additional)]
    flags = reply.flags & (dnswire.FLAG_AA | dnswire.FLAG_TC)
    qtype = expected.question.qtype if expected.question is not None else -1
    edns = "ecs" if expected.ecs is not None else "edns" if expected.edns else "plain"
    return (
        f"{transport} {expected.kind} {edns} type {qtype if qtype < 300 else 'high'} "
        f"rcode {reply.rcode} flags {flags:#x} sizes {sizes}"
    )


class Listener:
    """A running server, and the checks of one packet sent to it over UDP and TCP."""

    def __init__(self, zones: Path, log: LogCollector) -> None:
        self.log = log
        config = ServerConfig(zones=zones, address="127.0.0.1", port=0, seed=1, watch=False)
        self.server = BackgroundServer(config).start()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.connect(self.server.address)
        self.probes = 0

    def close(self) -> None:
        self.udp.close()
        self.server.stop()

    def check(self, packet: bytes, expected: Expectation) -> None:
        self.probes = (self.probes + 1) % 0x8000
        ident = int.from_bytes(packet[:2]) if len(packet) >= 2 else -1
        probe_id = 0x8000 | self.probes if ident != 0x8000 | self.probes else self.probes
        probe = dnswire.query(PROBE_NAME, ident=probe_id)
        if len(packet) <= 65000:
            self._udp(packet, probe, expected)
        if len(packet) <= 65535:
            self._tcp(packet, probe, expected)
        errors = [record for record in self.log.take() if record.levelno >= 40]
        if errors:
            raise Broken("logged-error", "server:\n" + "\n".join(map(shown, errors)))

    def _udp(self, packet: bytes, probe: bytes, expected: Expectation) -> None:
        self.udp.setblocking(False)
        try:
            while True:
                self.udp.recv(65535)  # whatever came late before
        except BlockingIOError:
            pass
        self.udp.settimeout(NETWORK_SECONDS)
        self.udp.send(packet)
        self.udp.send(probe)
        replies: list[bytes] = []
        while True:
            try:
                data = self.udp.recv(65535)
            except TimeoutError:
                raise Broken("listener", "UDP: no reply to the probe after the input") from None
            if data[:2] == probe[:2]:
                break
            replies.append(data)
        if not replies and expected.kind != NONE:  # the probe's reply overtook it, if ever
            self.udp.settimeout(0.05)
            with contextlib.suppress(TimeoutError):
                replies.append(self.udp.recv(65535))
        self._replies(expected, replies, "udp", data)

    def _tcp(self, packet: bytes, probe: bytes, expected: Expectation) -> None:
        address = self.server.address
        with socket.create_connection(address, timeout=NETWORK_SECONDS) as connection:
            connection.sendall(dnswire.frame(packet) + dnswire.frame(probe))
            replies: list[bytes] = []
            deadline = time.monotonic() + NETWORK_SECONDS
            buffer = b""
            while True:
                if len(buffer) >= 2 and len(buffer) >= 2 + int.from_bytes(buffer[:2]):
                    size = int.from_bytes(buffer[:2])
                    data, buffer = buffer[2 : 2 + size], buffer[2 + size :]
                    if data[:2] == probe[:2]:
                        break
                    replies.append(data)
                    continue
                connection.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = connection.recv(65537)
                except (TimeoutError, ConnectionError) as exc:
                    raise Broken("listener", f"TCP: no reply to the probe ({exc!r})") from None
                if not chunk:
                    raise Broken("listener", "TCP: the server closed before the probe's reply")
                buffer += chunk
        self._replies(expected, replies, "tcp", data)

    def _replies(
        self, expected: Expectation, replies: list[bytes], transport: str, probe: bytes
    ) -> None:
        if len(replies) > 1:
            raise Broken("listener", f"{transport}: {len(replies)} replies to one input")
        check_reply(expected, replies[0] if replies else None, transport)
        try:
            message = dnswire.read_message(probe)
        except dnswire.WireError as exc:
            raise Broken("listener", f"{transport}: the probe's reply: {exc}") from None
        values = {record.rdata for record in message.answer}
        if message.flags & 0xF or values != PROBE_VALUES:
            raise Broken("listener", f"{transport}: the probe after the input got {message}")


class _Datas(Sequence[bytes]):
    """The bytes of a pool of cases, without copying them."""

    def __init__(self, cases: Sequence[Case]) -> None:
        self.cases = cases

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, index: Any) -> Any:
        return self.cases[index].data


class QueryTarget:
    name = "query"
    hang_seconds = 60.0

    def __init__(self, corpus: Path = CORPUS / "query", corrupt: Corrupt | None = None) -> None:
        self.corpus_dir = corpus
        self._directory = tempfile.TemporaryDirectory(prefix="r53emu-fuzz-query-")
        zones = served_zones(Path(self._directory.name))
        self._logging = collecting(LOGGERS)
        self.log = self._logging.__enter__()
        self.answering = Answering(load_catalog(zones), self.log, corrupt)
        self._zones = zones
        self._listener: Listener | None = None

    @property
    def listener(self) -> Listener:
        if self._listener is None:
            self._listener = Listener(self._zones, self.log)
        return self._listener

    def corpus(self) -> list[Case]:
        return load_corpus(self.corpus_dir, (".bin",))

    def mutate(self, case: Case, rng: random.Random, pool: Sequence[Case]) -> Case:
        return Case("mutant.bin", mutate.mutate_query(case.data, rng, _Datas(pool)))

    def check(self, case: Case, deep: bool) -> str:
        client = CLIENTS[zlib.crc32(case.data) % len(CLIENTS)]
        expected, udp = self.answering.check(case.data, client, "udp")
        _expected, tcp = self.answering.check(case.data, client, "tcp")
        if deep:
            self.listener.check(case.data, expected)
        return f"{udp} | {tcp}"

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self._logging.__exit__(None, None, None)
        self._directory.cleanup()
