"""The pytest plugin: a fixture `r53emu` serving your zones to the application under test.

Installed with r53emu (entry point `pytest11`), nothing to enable. The first test that asks for
`r53emu` starts one server for the whole session on free ports of 127.0.0.1 (UDP and TCP); each
test then gets it back in the state the configuration describes:

    def test_checkout_fails_over(r53emu):
        app = make_app(dns=r53emu.address)           # (host, port)
        r53emu.set_health("primary", False)
        assert r53emu.resolve("shop.example.test").answers == ["192.0.2.2"]

Every method is a plain blocking call that returns within milliseconds (the server runs in its
own thread), so the same calls work in sync tests and in async tests (pytest-asyncio), where
they briefly hold up the test's event loop but never the server. Steering (`set_health`,
`set_switch`, `clear_overrides`, `seed`, `load`) applies to every query the server receives
after the call returns.

Configuration, in the pytest ini file (`[tool.pytest.ini_options]` of pyproject.toml, ...):

    r53emu_zones = "tests/zones"   # a zones directory or one zone file, relative to the ini
                                   # file; unset: no zones, every query is REFUSED
    r53emu_seed = "42"             # pins weighted and multivalue choices (unset: random)

and per test `@pytest.mark.r53emu(zones=..., seed=...)`, where `zones` is a directory or file
(relative paths from the test file's directory) or a zone-file mapping as `load_dict` takes.

Before each test the fixture undoes what the previous one changed: health overrides and
switches are cleared, the random choices restart from the configured seed, `queries` is
emptied, and the configured zones are served again if the test loaded others (only then is
anything reloaded, so tests stay fast).

Heavy modules (the server, dnspython) are imported on first use: this module is imported by
every pytest run of an environment where r53emu is installed.
"""

from __future__ import annotations

import ipaddress
import itertools
import random
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from r53emu.zonefiles.errors import ZoneError, ZoneLoadError

if TYPE_CHECKING:
    import dns.message

    from r53emu.health.snapshot import HealthView
    from r53emu.model.catalog import Catalog
    from r53emu.model.query import Answer, QueryContext
    from r53emu.server.handler import QueryHandler
    from r53emu.server.queryevents import QueryEvent
    from r53emu.testing.background import BackgroundServer

HOST: Final = "127.0.0.1"  # the plugin's server never listens beyond this machine
ZONES_INI: Final = "r53emu_zones"
SEED_INI: Final = "r53emu_seed"
QUERY_TIMEOUT = 5.0  # seconds resolve() waits for the server's reply
ECS_PREFIX = {4: 32, 6: 128}  # resolve(client_ip=...) sends the whole address as the subnet

ZoneSource = Path | Mapping[str, Any]  # a zones directory or file, or a zone-file mapping


# --- pytest hooks ------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        ZONES_INI,
        "r53emu: zones directory or zone file the `r53emu` fixture serves, relative to the ini "
        "file (default: none, every query REFUSED)",
        default="",
    )
    parser.addini(
        SEED_INI,
        "r53emu: integer seed for weighted and multivalue answers (default: random)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "r53emu(zones=None, seed=None): serve other zones (a directory, file or zone-file "
        "mapping) or pin another seed for this test's `r53emu` fixture",
    )


# --- the query log, and why each answer was chosen ------------------------------------------


@dataclass(frozen=True, slots=True)
class _SeenQuery:
    """One answered query: its query-log record and, when routing ran, its context and answer."""

    record: dict[str, Any]
    context: QueryContext | None
    answer: Answer | None


class _QueryRecorder:
    """Wraps the handler's lookup and observes its events, both in the server's thread.

    `QueryHandler.handle` runs the lookup and then tells its observers, synchronously, so the
    answer remembered by `resolve` belongs to the event `observe` receives next.
    """

    def __init__(self, handler: QueryHandler) -> None:
        self._handler = handler  # its locator is read when needed: a reload replaces it
        self._resolve = handler.resolve
        self._last: tuple[QueryContext, Answer] | None = None
        self.seen: list[_SeenQuery] = []  # replaced whole per test; appended to by the server

    def resolve(
        self, catalog: Catalog, context: QueryContext, rng: random.Random, health: HealthView
    ) -> Answer:
        answer = self._resolve(catalog, context, rng, health)
        self._last = (context, answer)
        return answer

    def observe(self, event: QueryEvent) -> None:
        from r53emu.ops.querylog import log_record

        last, self._last = self._last, None
        if last is None:  # a reply from the reply cache: an answer that is the same for all
            last = (self._context_of(event), event.answer)
        self.seen.append(_SeenQuery(log_record(event), *last))

    def _context_of(self, event: QueryEvent) -> QueryContext:
        from r53emu.answer.contexts import make_context

        subnet = ipaddress.ip_network(event.client_subnet) if event.client_subnet else None
        client = ipaddress.ip_address(event.client_ip.split("%")[0])
        return make_context(
            event.qname, event.qtype, self._handler.locator, client=client, subnet=subnet
        )


# --- what the fixture hands out --------------------------------------------------------------


class ZonesRejected(ZoneLoadError):
    """Zones the fixture was asked to serve are invalid; the previous zones are still served.

    `errors` holds each `ZoneError` (file, line, field, message); the message lists them.
    """

    def __init__(self, errors: list[ZoneError], summary: str) -> None:
        super().__init__(errors)
        self.args = (summary,)


@dataclass(frozen=True, eq=False)
class Resolution:
    """The reply to `R53EmuFixture.resolve`."""

    message: dns.message.Message  # the whole reply, as dnspython parsed it
    rcode: str  # "NOERROR", "NXDOMAIN", "REFUSED", ...
    answers: list[str]  # the answer section's record values, e.g. ["192.0.2.1"]
    _context: QueryContext | None = field(repr=False)
    _answer: Answer | None = field(repr=False)

    def why(self) -> dict[str, Any]:
        """Why the server gave this very reply (`r53emu.answer.explain.explanation`'s data)."""
        from r53emu.answer.explain import explanation

        if self._context is None or self._answer is None:
            raise LookupError("the server answered this query without routing it (no why)")
        return explanation(self._context, self._answer)

    def __repr__(self) -> str:
        question = self.message.question[0] if self.message.question else None
        return f"<Resolution {question}: {self.rcode} {self.answers}>"


class R53EmuFixture:
    """One r53emu server for the test session; see the module docstring."""

    def __init__(
        self,
        background: BackgroundServer,
        recorder: _QueryRecorder,
        workdir: Path,
        default_zones: ZoneSource,
        default_seed: int | None,
    ) -> None:
        self._background = background
        self._recorder = recorder
        self._workdir = workdir
        self._default_zones = default_zones
        self._default_seed = default_seed
        self._seed = default_seed
        self._zones_changed = False  # the default zones must be served again after this test
        self._staged = itertools.count(1)

    @classmethod
    def start(cls, workdir: Path, zones: ZoneSource | None, seed: int | None) -> R53EmuFixture:
        """Start serving `zones` (None: an empty directory) on free ports of 127.0.0.1."""
        from r53emu.app import ServerConfig
        from r53emu.testing.background import BackgroundServer

        empty = workdir / "no-zones"
        empty.mkdir()
        config = ServerConfig(zones=empty, address=HOST, port=0, seed=seed)
        background = BackgroundServer(config).start()
        handler = background.server.handler
        recorder = _QueryRecorder(handler)
        handler.resolve = recorder.resolve
        handler.observers.append(recorder.observe)
        emulator = cls(background, recorder, workdir, zones or empty, seed)
        if zones is not None:
            try:
                emulator._serve(zones)
            except BaseException:
                background.stop()
                raise
        return emulator

    def close(self) -> None:
        self._background.stop()

    @property
    def default_seed(self) -> int | None:
        """The configured seed (ini option), which each test starts from."""
        return self._default_seed

    # --- for the application under test ----------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of the server, for UDP and TCP alike."""
        return self._background.address

    @property
    def queries(self) -> list[dict[str, Any]]:
        """This test's queries so far, in order, as query-log records (`r53emu.ops.querylog`).

        A query is listed before its reply leaves the server.
        """
        return [seen.record for seen in list(self._recorder.seen)]

    # --- zones --------------------------------------------------------------------------------

    def load(self, path: str | PathLike[str]) -> None:
        """Serve the zones of a directory, or of one zone file, instead of the current ones.

        Raises `ZonesRejected` (listing file:line: field: message) if they are invalid, and the
        previous zones keep serving.
        """
        self._serve(Path(path))
        self._zones_changed = True

    def load_dict(self, zone: Mapping[str, Any]) -> None:
        """Serve one zone file's content given as a mapping: `{"zone": ..., "record_sets": [...]}`.

        Raises `ZonesRejected` as `load` does; its lines refer to the YAML shown in the message.
        """
        self._serve(zone)
        self._zones_changed = True

    def _serve(self, source: ZoneSource) -> None:
        if isinstance(source, Mapping):
            directory, yaml_text = self._write_yaml(source)
            self._reload(directory, renamed={}, shown_yaml=yaml_text)
        elif source.is_dir():
            self._reload(source, renamed={}, shown_yaml=None)
        else:
            directory, staged = self._stage_file(source)
            self._reload(directory, renamed={str(staged): str(source)}, shown_yaml=None)

    def _stage_file(self, path: Path) -> tuple[Path, Path]:
        """A directory holding a copy of one zone file (the server loads whole directories)."""
        from r53emu.zonefiles.loader import ZONE_SUFFIXES

        if not path.is_file():
            raise FileNotFoundError(f"r53emu: no zones directory or zone file at {path}")
        if path.suffix not in ZONE_SUFFIXES:
            raise ValueError(f"r53emu: {path} is not a zone file ({', '.join(ZONE_SUFFIXES)})")
        directory = self._workdir / f"file-{next(self._staged)}"
        directory.mkdir()
        staged = directory / path.name  # the name is kept: a JSON zone may be named by it
        shutil.copyfile(path, staged)
        return directory, staged

    def _write_yaml(self, zone: Mapping[str, Any]) -> tuple[Path, str]:
        import yaml

        text = yaml.safe_dump(_plain(zone), sort_keys=False, allow_unicode=True)
        directory = self._workdir / f"dict-{next(self._staged)}"
        directory.mkdir()
        (directory / "zone.yaml").write_text(text, encoding="utf-8")
        return directory, text

    def _reload(self, directory: Path, renamed: dict[str, str], shown_yaml: str | None) -> None:
        try:
            self._background.reload(directory)
        except ZoneLoadError as exc:
            errors = [replace(e, file=renamed.get(e.file, e.file)) for e in exc.errors]
            raise ZonesRejected(errors, _rejection(errors, shown_yaml)) from None

    # --- health checks ------------------------------------------------------------------------

    def set_health(self, check_id: str, healthy: bool) -> None:
        """Force a health check healthy or unhealthy, whatever its probes or switch say."""
        self._background.set_health(check_id, healthy)

    def set_switch(self, check_id: str, state: str) -> None:
        """Flip a RECOVERY_CONTROL check ("On"/"Off") or a CLOUDWATCH_METRIC one ("OK", "ALARM",
        "INSUFFICIENT_DATA")."""
        self._background.set_switch(check_id, state)

    def clear_overrides(self) -> None:
        """Undo every `set_health` and `set_switch`: the zones' own statuses apply again."""
        self._background.clear_switches()
        self._background.clear_overrides()

    def health(self, check_id: str) -> dict[str, Any]:
        """The check's status: healthy, switch, override, last transition, reason, observations."""
        return self._background.health_status(check_id)

    # --- answers ------------------------------------------------------------------------------

    def seed(self, seed: int | None) -> None:
        """Restart the random choices (weighted, multivalue) from `seed`: the same sequence of
        queries then gets the same sequence of answers."""
        self._background.seed(seed)
        self._seed = seed

    def resolve(
        self, name: str, type: str = "A", client_ip: str | None = None, *, tcp: bool = False
    ) -> Resolution:
        """Ask the server over UDP (TCP if `tcp` or if the reply is truncated), with EDNS.

        `client_ip` places the client: it is sent as an EDNS Client Subnet of the whole address
        (/32 or /128), which Route 53 routes by instead of the resolver's address.
        """
        import dns.edns
        import dns.message
        import dns.query
        import dns.rcode

        options: list[dns.edns.Option] = []
        if client_ip is not None:
            address = ipaddress.ip_address(client_ip)
            options.append(dns.edns.ECSOption(str(address), ECS_PREFIX[address.version]))
        query = dns.message.make_query(name, type, use_edns=0, payload=1232, options=options)
        host, port = self.address
        already_seen = len(self._recorder.seen)
        if tcp:
            reply = dns.query.tcp(query, host, timeout=QUERY_TIMEOUT, port=port)
        else:
            reply, _ = dns.query.udp_with_fallback(query, host, timeout=QUERY_TIMEOUT, port=port)
        seen = self._find_seen(query, already_seen)
        return Resolution(
            message=reply,
            rcode=dns.rcode.to_text(reply.rcode()),
            answers=[rdata.to_text() for rrset in reply.answer for rdata in rrset],
            _context=seen.context if seen else None,
            _answer=seen.answer if seen else None,
        )

    def _find_seen(self, query: dns.message.Message, start: int) -> _SeenQuery | None:
        """The server's record of `query` (the last one that matches; a truncated UDP reply
        retried over TCP is asked twice)."""
        import dns.rdatatype

        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower() or "."
        qtype = dns.rdatatype.to_text(question.rdtype)
        for seen in reversed(self._recorder.seen[start:]):
            record = seen.record
            if record["query_name"].lower() == name and record["query_type"] == qtype:
                return seen
        return None

    def explain(self, name: str, type: str = "A", client_ip: str | None = None) -> dict[str, Any]:
        """The answer to a question as `resolve` would ask it, and why (`r53emu.answer.explain`).

        Computed on what the server serves right now (zones, health, client locations); for a
        weighted or multivalue name the random choice is drawn from a fresh generator seeded
        with the current seed, leaving the server's own sequence of answers untouched.
        """
        from r53emu.answer.contexts import make_context
        from r53emu.answer.explain import explanation, parse_question
        from r53emu.answer.lookup import lookup

        qname, qtype = parse_question(name, type)
        handler = self._background.server.handler
        # catalog, health and locator are each replaced whole, never changed in place
        catalog, health, locator = handler.catalog, handler.health, handler.locator
        subnet = ipaddress.ip_network(client_ip) if client_ip is not None else None
        context = make_context(
            qname, qtype, locator, client=ipaddress.ip_address(HOST), subnet=subnet
        )
        answer = lookup(catalog, context, random.Random(self._seed), health)
        return explanation(context, answer)

    # --- per test -------------------------------------------------------------------------------

    def begin_test(self, zones: ZoneSource | None, seed: int | None) -> None:
        """Serve `zones` (None: the configured ones) with `seed`, no overrides, no queries."""
        if zones is not None:
            self._serve(zones)
            self._zones_changed = True
        elif self._zones_changed:  # the previous test's teardown could not restore them
            self._serve(self._default_zones)
            self._zones_changed = False
        self.clear_overrides()
        self.seed(seed)
        self._recorder.seen = []

    def end_test(self) -> None:
        """Undo the test's steering and, if it changed them, serve the configured zones again."""
        self.clear_overrides()
        if self._zones_changed:
            self._serve(self._default_zones)
            self._zones_changed = False


def _plain(value: Any) -> Any:
    """`value` with mappings as dicts and sequences as lists, which YAML's safe dumper writes."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _rejection(errors: list[ZoneError], shown_yaml: str | None) -> str:
    lines = [f"r53emu: {len(errors)} error(s) in the zones; the previous zones are still served:"]
    lines.extend(f"  {error}" for error in errors)
    if shown_yaml is not None:
        lines.append("the zone file written from the mapping given to load_dict:")
        numbered = enumerate(shown_yaml.splitlines(), start=1)
        lines.extend(f"  {number:4d} | {text}" for number, text in numbered)
    return "\n".join(lines)


# --- configuration ----------------------------------------------------------------------------


def _configured_zones(config: pytest.Config) -> Path | None:
    value = str(config.getini(ZONES_INI)).strip()
    if not value:
        return None
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return base / value


def _configured_seed(config: pytest.Config) -> int | None:
    return _seed_value(str(config.getini(SEED_INI)).strip() or None, f"ini option {SEED_INI}")


def _seed_value(value: object, where: str) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise pytest.UsageError(f"r53emu: {where} must be an integer, not {value!r}") from None


_UNSET: Final[Any] = object()


def _marker_options(
    *, zones: str | PathLike[str] | Mapping[str, Any] | None = None, seed: object = _UNSET
) -> tuple[str | PathLike[str] | Mapping[str, Any] | None, object]:
    """The marker's keywords (Python rejects any other)."""
    return zones, seed


def _test_settings(
    request: pytest.FixtureRequest, default_seed: int | None
) -> tuple[ZoneSource | None, int | None]:
    """(zones, seed) for this test: its `r53emu` marker's, else the configured seed."""
    marker = request.node.get_closest_marker("r53emu")
    if marker is None:
        return None, default_seed
    if marker.args:
        raise pytest.UsageError("r53emu marker: use keywords, e.g. r53emu(zones=..., seed=...)")
    try:
        zones, seed = _marker_options(**marker.kwargs)
    except TypeError as exc:
        raise pytest.UsageError(f"r53emu marker: {exc}") from None
    seed = default_seed if seed is _UNSET else _seed_value(seed, "the r53emu marker's seed")
    if zones is None or isinstance(zones, Mapping):
        return zones, seed
    path = Path(zones)
    return (path if path.is_absolute() else request.path.parent / path), seed


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def r53emu_session(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[R53EmuFixture]:
    """The session's server, without the per-test reset (for session-scoped fixtures that
    need its `address`); tests use `r53emu`."""
    emulator = R53EmuFixture.start(
        tmp_path_factory.mktemp("r53emu"),
        _configured_zones(pytestconfig),
        _configured_seed(pytestconfig),
    )
    yield emulator
    emulator.close()


@pytest.fixture
def r53emu(
    r53emu_session: R53EmuFixture, request: pytest.FixtureRequest
) -> Iterator[R53EmuFixture]:
    """The session's r53emu server, reset for this test (see `r53emu.testing.plugin`)."""
    zones, seed = _test_settings(request, r53emu_session.default_seed)
    r53emu_session.begin_test(zones, seed)
    yield r53emu_session
    r53emu_session.end_test()
