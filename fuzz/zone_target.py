"""The zones target: mutated YAML and JSON zone files through `load_catalog`.

Each input is one zone file (the corpus's `zones/` and the bundled zones/ are the seeds), written
alone into a fresh directory and loaded in a worker thread. Invariants: the load returns a
`Catalog` or raises `ZoneLoadError`, never another exception (RecursionError, MemoryError,
KeyError, ...); it ends within `LOAD_SECONDS` (else the run stops: a hang); every error names
the file, a line inside it (0 for a whole-file problem) and is bounded in length
(`MAX_MESSAGE_CHARS` for its message and field path, and the clipping's tail), and no message
quotes more than a short prefix of a long value of the file (`QUOTE_CHARS`; names, whose own
errors are cut at `MAX_MESSAGE_CHARS`, excepted); nothing is logged at ERROR. A zone that loads
is then queried (`query_target.Answering`): a few of its names and types, over UDP and TCP, on a
fast and a slow handler, with every query invariant.
"""

from __future__ import annotations

import random
import re
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from fuzz import dnswire
from fuzz.engine import CORPUS, Broken, Case, collecting, load_corpus, shown
from fuzz.query_target import BUNDLED_ZONES, LOGGERS, Answering, _Datas
from fuzz.zone_mutate import mutate_zone
from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.loader import ZONE_SUFFIXES, load_catalog
from r53emu.zonefiles.quoting import MAX_MESSAGE_CHARS, QUOTE_CHARS

LOAD_SECONDS = 5.0
# Fields whose errors are a name's own (a dump's zone name is reported on ResourceRecordSets).
NAME_FIELDS = frozenset(
    {"name", "zone", "Name", "DNSName", "fqdn", "mname", "rname", "nameservers"}
    | {"ResourceRecordSets"}
)
CLIP_TAIL = 40  # what `clipped` adds after MAX_MESSAGE_CHARS: "... (1,234,567 characters)"
QUOTED_RUN = 100  # characters of a long value an error message must not hold in one piece
QUESTIONS = 6  # questions asked of a zone that loads
_LONG_RUNS = (
    re.compile(r"[^\s,\[\]{}:'\"#&*!|>\\]{%d,}" % QUOTED_RUN),  # noqa: UP031
    re.compile(r"'([^'\n]{%d,})'" % QUOTED_RUN),  # noqa: UP031
    re.compile(r'"([^"\n]{%d,})"' % QUOTED_RUN),  # noqa: UP031
)
# A name's own error (r53emu.model.names) quotes the name whole, cut at MAX_MESSAGE_CHARS.
_NAME_ERROR = re.compile(
    r"has an empty label|has a label of \d+ bytes|bytes on the wire \(at most 255\)"
    r"|: write internationalized names in punycode|: byte 0x[0-9a-f]{2} must be written as"
)
# Line breaks as YAML counts them (JSON counts only \n).
_YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class ZoneTarget:
    name = "zones"
    hang_seconds = LOAD_SECONDS + 25.0  # the load's own timeout reports a hang before this

    def __init__(
        self,
        corpus: Path = CORPUS / "zones",
        load: Callable[[Path], Catalog] = load_catalog,
        load_seconds: float = LOAD_SECONDS,
    ) -> None:
        """`load` and `load_seconds` are seams for the tests that show the checks fail."""
        self.corpus_dir = corpus
        self.load = load
        self.load_seconds = load_seconds
        self._directory = tempfile.TemporaryDirectory(prefix="r53emu-fuzz-zones-")
        self._count = 0
        self._logging = collecting(LOGGERS)
        self.log = self._logging.__enter__()

    def corpus(self) -> list[Case]:
        bundled = [
            Case(f"bundled/{path.name}", path.read_bytes())
            for path in sorted(BUNDLED_ZONES.iterdir())
            if path.suffix in ZONE_SUFFIXES
        ]
        return load_corpus(self.corpus_dir, ZONE_SUFFIXES) + bundled

    def mutate(self, case: Case, rng: random.Random, pool: Sequence[Case]) -> Case:
        json_file = case.suffix == ".json"
        donors = _Datas(
            [c for c in (rng.choice(pool), rng.choice(pool)) if c.suffix == case.suffix]
        )
        return Case(Path(case.name).name, mutate_zone(case.data, json_file, rng, donors))

    def check(self, case: Case, deep: bool) -> str:
        self._count += 1
        directory = Path(self._directory.name) / str(self._count)
        directory.mkdir()
        file_name = Path(case.name).name
        if Path(file_name).suffix not in ZONE_SUFFIXES:
            file_name += ".yaml"
        path = directory / file_name
        path.write_bytes(case.data)
        self.log.take()
        try:
            result = _load(self.load, directory, self.load_seconds)
            errors = [record for record in self.log.take() if record.levelno >= 40]
            if errors:
                raise Broken("logged-error", "\n".join(map(shown, errors)))
            if isinstance(result, Catalog):
                return self._loaded(result, case.data)
            return _refused(result, path, case.data)
        finally:
            path.unlink(missing_ok=True)
            directory.rmdir()

    def _loaded(self, catalog: Catalog, data: bytes) -> str:
        answering = Answering(catalog, self.log)
        rng = random.Random(zlib.crc32(data))
        for packet in _questions(catalog, rng):
            client = "127.0.0.1" if rng.random() < 0.5 else "127.9.9.9"
            for transport in ("udp", "tcp"):
                answering.check(packet, client, transport)
        return f"loaded {min(len(catalog.zones), 3)} zone(s)"

    def close(self) -> None:
        self._logging.__exit__(None, None, None)
        self._directory.cleanup()


def _load(
    load_catalog: Callable[[Path], Catalog], directory: Path, seconds: float
) -> Catalog | ZoneLoadError:
    """`load_catalog` in a worker thread; raises `Broken` for a hang or another exception."""
    outcome: list[Catalog | BaseException] = []

    def load() -> None:
        try:
            outcome.append(load_catalog(directory))
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=load, name="fuzz-zone-load", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise Broken("hang", f"load_catalog still running after {seconds:g} s")
    seconds = time.monotonic() - started
    result = outcome[0]
    if isinstance(result, Catalog | ZoneLoadError):
        return result
    trace = "".join(traceback.format_exception(result))
    raise Broken("exception", f"{type(result).__name__} after {seconds:.2f} s:\n{trace}")


def _refused(error: ZoneLoadError, path: Path, data: bytes) -> str:
    """Check each error of a refused file; the outcome label (the first error's kind)."""
    if not error.errors:
        raise Broken("error-empty", "a ZoneLoadError without errors")
    text = data.decode("utf-8", "replace")
    breaks = text.count("\n") if path.suffix == ".json" else len(_YAML_BREAKS.findall(text))
    lines = breaks + 1
    runs = _long_runs(text)
    for each in error.errors:
        text = str(each)
        shown_error = f"field {collapsed(each.field)[:200]}: {collapsed(each.message)[:600]}"
        if each.file != str(path) or not text.startswith(str(path)):
            raise Broken("error-file", f"{each.file!r}, not the file loaded: {shown_error}")
        if not 0 <= each.line <= lines:
            past = " (one past the last line)" if each.line == lines + 1 else ""
            raise Broken("error-line", f"line {each.line} of {lines}{past}: {shown_error}")
        for part, value in (("message", each.message), ("field", each.field)):
            if len(value) > MAX_MESSAGE_CHARS + CLIP_TAIL:
                raise Broken("error-length", f"a {len(value):,}-character {part}: {shown_error}")
        if _NAME_ERROR.search(each.message) or _last_key(each.field) in NAME_FIELDS:
            continue  # a name's own error: quoted whole, cut at MAX_MESSAGE_CHARS (documented)
        for run in runs:
            if run[: QUOTE_CHARS + 40] in each.message:
                raise Broken(
                    "error-quote",
                    f"over {QUOTE_CHARS + 40} characters of a {len(run):,}-character value "
                    f"quoted: {shown_error}",
                )
    first = error.errors[0]
    kind = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "N", first.message)[:60]
    return f"refused {_last_key(first.field)[:30]}: {kind}"


def collapsed(text: str) -> str:
    """`text` with each run of one character over 20 long shown as `xxx<5000x>`."""
    return re.sub(r"(.)\1{20,}", lambda run: f"{run.group(1) * 3}<{len(run.group(0))}x>", text)


def _last_key(field: str) -> str:
    return re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]


def _long_runs(text: str) -> list[str]:
    """The long values of the file (the first 50 found)."""
    runs: list[str] = []
    for pattern in _LONG_RUNS:
        for match in pattern.finditer(text):
            runs.append(match.group(match.lastindex or 0))
            if len(runs) > 50:
                return runs
    return runs


def _questions(catalog: Catalog, rng: random.Random) -> list[bytes]:
    """A few queries of the catalog's names and types (and ANY, and a name that is not there)."""
    asked: list[tuple[names.Name, int]] = []
    for zone in sorted(catalog.zones.values(), key=lambda zone: zone.name)[:3]:
        nodes = sorted(zone.nodes.items())
        for name, groups in rng.sample(nodes, min(len(nodes), QUESTIONS)):
            asked += [(name, rtype) for rtype in sorted(groups)][:2]
        asked += [(zone.name, 255), ((b"zz-not-there", *zone.name), 1)]
    chosen = rng.sample(asked, min(len(asked), QUESTIONS))
    packets = []
    for number, (name, rtype) in enumerate(chosen):
        if rng.random() < 0.3:
            name = tuple(label.upper() for label in name)
        opt = dnswire.opt_record(rng.choice((512, 1232, 4096))) if number % 2 else None
        packets.append(dnswire.query(name, rtype, ident=number, opt=opt))
    return packets
