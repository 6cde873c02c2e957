"""Intake on DuckDB with the accept/reject decisions of :mod:`checker.inputs.events`, record for record.

Every input line is either decided in SQL or handed to the Python intake
(:class:`checker.inputs.events.Intake`, the reference), never guessed:

* SQL decides a line only on a *fast path* that provably implies what Python
  does: the line is a JSON object that DuckDB and Python's ``json`` read the
  same way (no trailing commas, NaN or Infinity, which DuckDB tolerates; no
  key read by a rule given twice, where the two disagree on which wins), its
  fields pass a stricter test than :func:`checker.inputs.events._fast_valid`, and its
  timestamp is an integer epoch or the strict RFC 3339 form of
  :func:`checker.engines.duckdb.timesql.parse_text`.
* Every other line — blank lines, bad JSON or encoding, odd shapes, other
  timestamp forms — goes to the project's reader (:func:`checker.inputs.readers.read_jsonl`)
  and :class:`~checker.inputs.events.Intake` with its exact bytes, and so does every
  version of an ``event_id`` seen with two different texts or also seen
  among those lines: duplicates and conflicts are then decided by the same
  code, in the same file and line order.
* A Parquet file whose column types all read back exactly (:func:`_parquet_exact`:
  text, booleans, doubles, 64-bit integers, and structs and lists of them) is
  read by DuckDB too, a row for a line, each row as its JSON text.
* A file DuckDB's line reader cannot split exactly like Python (carriage
  returns, NUL or \\x01 bytes, invalid UTF-8, lines over 2 MB), a Parquet file
  with other column types, and every other input (gzip, JSON arrays, CSV,
  TSV, a file read through a profile or an encoding, standard input) is read once, in a
  stream, by the project's readers (:func:`checker.inputs.files.read_file`) and converted
  (:mod:`checker.engines.duckdb.convert`) into a temporary JSON Lines file of canonical
  records, each at its source line, which is then classified like any other: the same fast
  path, with the source's line numbers. Rejects, and the few records whose JSON text would
  not read back as the same value, go to Python as they are; a converted line off the fast
  path is decided by Python with the text the reader read (kept beside it). A finding's
  evidence is read again from the converted file, which is the run's own copy: the converted
  files stay until the caller removes them (:attr:`IntakeResult.workdir`; the DuckDB engine,
  when its result goes), and go at once when the intake fails. A CSV or TSV export read through a
  profile that compiles to SQL is converted by DuckDB itself instead
  (:mod:`checker.engines.duckdb.profilesql`: the same converted file, its lines off the fast path
  converted by Python). Carrying every converted record's
  text in ``ev`` instead had cost a second a million records (storing and sorting it) for the
  4 % that become evidence.

The result is a temporary table ``ev`` of accepted events (one row per
``event_id``, with its file and line, read again by :func:`read_lines` when a
finding needs the record, and, in ``fx``, the JSON paths rules read, extracted
once) and an :class:`~checker.inputs.events.EventBatch`-compatible account: per-file
counts, rejections, action counts and the latest instant. No table holds every
line's text (at ten million events that made DuckDB spill gigabytes): lines are
classified as they are read, and only the text of lines Python decides, or of
ids given more than once, is fetched. The classifying pass runs on every thread:
its table stores a file's lines in their order, so a line's number is its row's place.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson
from sqlglot import exp

from ...inputs.events import Event, FilePin, InputStats, Intake, Rejected
from ...inputs.files import (
    STDIN,
    InputSettings,
    check_pins,
    choose_profile,
    expand,
    local_path,
    pin_identity,
    settings_for,
)
from ...inputs.progress import Progress
from ...inputs.readers import MAX_DEPTH, ReadOptions, format_for, parquet_row, read_jsonl
from ...language.errors import CheckerError, Location, Problem
from ...language.times import EARLIEST, LATEST, future_limit, wall_clock_now
from .convert import Converted, LineFiles, Recorder, Snapshot, convert, convert_in_pieces, line_source
from .profilesql import HARD, convert_in_sql
from .sqlbuild import and_, case, col, fn, lit, sql, tmpl
from .timesql import Zone, epoch_of_int, parse_stages, zone_table
from .watch import QueryWatch, track_progress

TOP_KEYS = ("event_id", "timestamp", "platform", "seller_id", "action", "subject", "actor", "data")
_BAD_BYTES = (b"\r", b"\x00", b"\x01")
#: at least one printable ASCII character: such a string is never all whitespace in Python
_VISIBLE = "[!-~]"
#: DuckDB function hashing a fast line's text: it only tells texts apart (equal hashes are checked
#: on the texts), so a fast non-cryptographic one does; tests put a weak one in to force collisions
_TEXT_HASH = "hash"
#: the longest line (bytes) SQL decides; longer ones (up to the record limit, and a Parquet row's
#: JSON text, which Python writes with spaces) are decided by Python
_FAST_MAX_BYTES = 1 << 20
#: a number that might not fit a double (a three-digit exponent), or an integer past 64 bits (19
#: digits in a row: :data:`checker.inputs.readers.LONG_DIGITS`): Python decides, rejects one that
#: overflows (non-finite-number), and judges a rule reading an exact big integer itself
_BIG_NUMBER = "[0-9][eE][+-]?[0-9]{3}|[0-9]{19}"
#: DuckDB's rows per row group (the unit its zone maps skip)
_ROW_GROUP = 122_880
#: a trailing comma before a closing bracket, which DuckDB's JSON reader tolerates and Python's does not
_TRAILING_COMMA = ",\\s*[\\]}]"
#: a bare non-finite number: DuckDB's JSON reader takes nan, inf and infinity in any case (with a
#: minus sign too), Python only NaN, Infinity and -Infinity (rejected as non-finite-number) and
#: orjson none; a value follows a colon, a comma or an opening bracket (matched inside a string
#: too, which only sends the line to Python)
_NON_FINITE = "[:,\\[]\\s*-?(?i:nan|inf)"


def json_path(path: Sequence[str]) -> str:
    """A DuckDB JSON path with every key quoted (keys with quotes or backslashes are refused
    by the compiler before this is called)."""
    return "$" + "".join(f'."{key}"' for key in path)


@dataclass
class _FileScan:
    """What a background pass over one file's bytes found: its hash and awkward bytes."""

    path: Path
    sha256: str = ""
    awkward: bool = False
    compressed: bool = False
    other_bom: bool = False
    error: BaseException | None = None
    # the file's identity as opened, and when: DuckDB reads it after this hash (check_pins)
    pinned: tuple[tuple[int, int, int, int, int], int] | None = None

    def run(self) -> None:
        try:
            hasher = hashlib.sha256()
            with open(self.path, "rb") as fh:
                self.pinned = pin_identity(os.fspath(self.path), fh)
                first = True
                while chunk := fh.read(1 << 22):
                    if first:
                        self.compressed = chunk[:2] == b"\x1f\x8b"
                        self.other_bom = chunk[:2] in (b"\xff\xfe", b"\xfe\xff")
                        first = False
                    hasher.update(chunk)
                    if not self.awkward and any(b in chunk for b in _BAD_BYTES):
                        self.awkward = True
            self.sha256 = hasher.hexdigest()
        except OSError as exc:  # reported when the file is read
            self.error = exc


@dataclass
class IntakeResult:
    """The account of an intake: what :class:`checker.inputs.events.EventBatch` carries but the events."""

    inputs: tuple[InputStats, ...]
    rejected: tuple[Rejected, ...]
    actions: Counter[str]
    latest: int | None
    exotic_actions: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (platform, action)
    exotic_events: dict[str, Event] = field(default_factory=dict)  # not representable in DuckDB
    # the files DuckDB read line by line (by input index), whose lines ``ev`` points at (see
    # read_lines): an input itself, or the file it was converted into, or that file's parts read
    # one after another (in ``workdir``)
    files: dict[int, LineFiles] = field(default_factory=dict)
    # every input's name by index (``ev.fi``), as the result shows it: an event's file
    names: tuple[str, ...] = ()
    # the directory of the converted inputs (None: none), which the caller removes once no
    # finding needs their lines any more
    workdir: str | None = None


def _lines(path: LineFiles) -> exp.Expression:
    """The lines of ``path`` as DuckDB's CSV reader splits them, in file order: one row per
    ``\\n``-separated line, ``text`` NULL for an empty one, and no line number. Nothing in it
    needs the order, so DuckDB may read it on every thread; rows inserted from it are stored in
    that order (insertion order is preserved), so their ``rowid`` gives the line number (see
    :func:`load_events`).

    A Parquet file's "lines" are its rows, each as JSON text (``to_json``): read only when
    :func:`_parquet_exact` holds, so that the text reads back (``json.loads``, NaN included) as
    the record the project's reader gives; a row off the fast path is decided by Python from it."""
    if isinstance(path, str) and format_for(path) == "parquet":
        return tmpl("SELECT CAST(to_json(r) AS VARCHAR) AS text FROM read_parquet({p}) AS r", p=lit(path))
    # several files: read in the order given, their rows stored in that order too
    source = lit(path) if isinstance(path, str) else exp.Array(expressions=[lit(p) for p in path])
    return tmpl(
        "SELECT column0 AS text FROM read_csv({p}, "
        "columns = {'column0': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false, "
        "auto_detect = false, strict_mode = true, new_line = '\\n')",
        p=source,
    )


def line_reader(path: LineFiles) -> exp.Expression:
    """``line``, ``text`` of every line of ``path``: numbered in one ordered pass, as Python counts
    lines (1-based): the numbers :func:`load_events` takes from the rows' places."""
    return tmpl("SELECT row_number() OVER () AS line, text FROM ({r})", r=_lines(path))


def _re2_escape(text: str) -> str:
    """``text`` as a literal in an RE2 pattern."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _classify(
    source: exp.Expression,
    z: Zone,
    read_keys: Sequence[str],
    fields: Sequence[tuple[str, ...]] = (),
    *,
    limit: int = LATEST,
) -> exp.Expression:
    """The query that reads each line's fields and decides whether it is on the fast path:
    one row per row of ``source`` (``fi``, ``text``), in its order, an empty line's too (not fast,
    no text).

    Built in layers (``SELECT *, new columns FROM previous``) so every field is
    extracted once per line. Its rows keep only what the later steps need, never a fast
    line's text (at export scale the text is most of the data, and a table holding it spilled
    gigabytes): ``fx``, the ``fields`` rules read (as :func:`_extract` reads them, in the same
    single parse), and ``h``, a 64-bit hash of the text that only ever *separates* two texts
    (equal hashes are confirmed on the texts themselves, see :func:`load_events`). A line off
    the fast path keeps its text, for Python. ``limit`` is the latest instant the run accepts
    (:func:`checker.language.times.future_limit`): a later one is Python's to reject.
    """
    paths = [
        "$.event_id",
        "$.timestamp",
        "$.platform",
        "$.seller_id",
        "$.action",
        "$.subject",
        "$.subject.type",
        "$.subject.id",
        "$.actor",
        "$.data",
    ]
    names = ["eid", "ts", "pf", "sel", "act", "sub", "stype", "sid", "actor", "data"]
    layer: exp.Expression = tmpl("SELECT fi, text, json_valid(text) AS ok FROM ({src})", src=source)

    def add(columns: Sequence[tuple[str, exp.Expression]]) -> None:
        nonlocal layer
        select = exp.select(exp.Star(), *[exp.alias_(e, n, quoted=True) for n, e in columns])
        layer = select.from_(exp.Subquery(this=layer, alias=exp.TableAlias(this=exp.to_identifier("l"))))

    def valid(e: exp.Expression) -> exp.Expression:
        return case((col("ok"), e))

    # three list-valued reads of each valid line: the canonical fields' JSON types (VARCHAR, OBJECT,
    # NULL, BIGINT, UBIGINT, ...; SQL NULL where absent) and their values as text (a string
    # unescaped, any other value as its JSON), then the JSON values of the ``fields`` rules read
    # (:func:`_extract`, as the Python intake's events get them).
    # Reading each field's type and text from one json_extract list instead cost 0.5 s more a
    # million lines (each item was parsed again, twice)
    canonical = exp.Array(expressions=[lit(p) for p in paths])
    columns = [
        ("jt", valid(fn("json_type", col("text"), canonical))),
        ("js", valid(fn("json_extract_string", col("text"), canonical.copy()))),
    ]
    columns.append(("j", valid(_extract(fields)(col("text")))))
    add(columns)
    extracted = []
    for i, name in enumerate(names, start=1):
        extracted.append(("t_" + name, fn("list_extract", col("jt"), lit(i))))
        extracted.append(("s_" + name, fn("list_extract", col("js"), lit(i))))
    add(extracted)
    parsed = parse_stages(col("s_ts"), z, prefix="p_")
    for stage in parsed.stages:
        add(stage)

    def t(name: str) -> exp.Expression:
        return col("t_" + name)

    def s(name: str) -> exp.Expression:
        return col("s_" + name)

    def visible(name: str) -> exp.Expression:
        return and_(tmpl("{t} = 'VARCHAR'", t=t(name)), fn("regexp_matches", s(name), lit(_VISIBLE)))

    text = col("text")
    ts_int = tmpl("try_cast({x} AS BIGINT)", x=s("ts"))
    # a key read by a rule given twice (Python keeps the last value, DuckDB the first): one
    # regular expression for all of them; a key name only ever matches itself, quoted. A key
    # written with an escape (\u0069d is id) is left to Python too.
    keys = dict.fromkeys([*TOP_KEYS, *read_keys])
    twice = "|".join(
        [*(f'"{_re2_escape(k)}"\\s*:.*"{_re2_escape(k)}"\\s*:' for k in keys), '\\\\[^"]*"\\s*:']
    )
    # every pattern that sends a line to Python, as one regular expression: RE2 then scans each
    # line once instead of once per pattern (at a million lines, 1.6 s instead of 3.5 s)
    awkward = "|".join([twice, _TRAILING_COMMA, _BIG_NUMBER, _NON_FINITE])
    fast = and_(
        tmpl("starts_with({x}, '{') AND suffix({x}, '}')", x=text),
        # the limits (checker.inputs.readers): a line SQL decides is far below the size limit,
        # has no more brackets than the depth limit allows, and no number that may overflow
        tmpl("strlen({x}) <= {n}", x=text, n=lit(_FAST_MAX_BYTES)),
        tmpl(
            "strlen({x}) - strlen(replace(replace({x}, '[', ''), '{', '')) <= {d}",
            x=text,
            d=lit(MAX_DEPTH),
        ),
        col("ok"),
        tmpl("NOT regexp_matches({x}, {p})", x=text, p=lit(awkward)),
        visible("eid"),
        visible("pf"),
        visible("sel"),
        visible("act"),
        fn("regexp_full_match", s("act"), lit(r"[a-z0-9_\-]*\.[a-z0-9_.\-]*")),
        fn("regexp_full_match", s("pf"), lit(r"[a-z][a-z0-9_.\-]*")),
        tmpl(
            # a range, not abs(): abs() of the least BIGINT overflows and fails the whole statement
            "({t} IN ('BIGINT', 'UBIGINT') AND {n} > -9000000000000000 AND {n} < 9000000000000000) "
            "OR ({t} = 'VARCHAR' AND {f})",
            t=t("ts"),
            n=ts_int,
            f=col("p_fast"),
        ),
        tmpl(
            "{s} IS NULL OR ({s} = 'OBJECT' AND {st} = 'VARCHAR' AND "
            "{si} IN ('VARCHAR', 'BIGINT', 'UBIGINT'))",
            s=t("sub"),
            st=t("stype"),
            si=t("sid"),
        ),
        tmpl("{a} IS NULL OR {a} = 'VARCHAR'", a=t("actor")),
        tmpl("{d} IS NULL OR {d} = 'OBJECT'", d=t("data")),
    )
    epoch = case(
        (tmpl("{t} IN ('BIGINT', 'UBIGINT')", t=t("ts")), epoch_of_int(ts_int)),
        (tmpl("{t} = 'VARCHAR'", t=t("ts")), col("p_epoch")),
    )
    add([("fast0", fast), ("ep", epoch)])
    # an instant outside the years Python accepts (1900 to 8999), or later than a day after the
    # run's now (future-timestamp), is Python's to reject
    in_years = tmpl(
        "{e} >= {lo} AND {e} < {hi} AND {e} <= {lim}",
        e=col("ep"),
        lo=lit(EARLIEST),
        hi=lit(LATEST),
        lim=lit(limit),
    )
    add([("fast", fn("coalesce", and_(col("fast0"), in_years), exp.false()))])
    return tmpl(
        "SELECT fi, fast, CASE WHEN NOT fast THEN text END AS text, "
        "CASE WHEN fast THEN {h} END AS h, CASE WHEN fast THEN s_eid END AS eid, "
        "CASE WHEN fast THEN ep END AS ts, "
        "CASE WHEN fast THEN s_pf END AS platform, CASE WHEN fast THEN s_sel END AS seller_id, "
        "CASE WHEN fast THEN s_act END AS action, CASE WHEN fast THEN j END AS fx FROM ({q})",
        q=layer,
        h=fn(_TEXT_HASH, col("text")),
    )


def _line_calls(number: int, raw: bytes, display: str) -> list[tuple[int, str, tuple[Any, ...]]]:
    """What :func:`checker.inputs.readers.read_jsonl` hands the intake for one line of a plain file."""
    rec = Recorder()
    stats = rec.open(display)
    for record in read_jsonl(io.BytesIO(raw), ReadOptions("utf-8"), display):
        if record.error is not None:
            rec.reject(stats, number, *record.error, record.text)
        else:
            rec.add(stats, number, record.value, record.text)
    return rec.calls


def _accepted_id(call: tuple[int, str, tuple[Any, ...]], timezone: str, now: int) -> str | None:
    """The event_id a record would be accepted under (valid, readable time), else None."""
    line, kind, args = call
    if kind != "add":
        return None
    probe = Intake(timezone, now=now)
    stats = probe.open("")
    probe.add(stats, line, *args)
    return next(iter(probe.events), None) if stats.accepted else None


@contextmanager
def _watch(con: duckdb.DuckDBPyConnection, progress: Progress | None, size: int) -> Iterator[None]:
    """Move ``progress`` through a file of ``size`` bytes while DuckDB reads it in one statement."""
    if progress is None or not progress.enabled:
        yield
        return
    track_progress(con)
    with QueryWatch(con, lambda share: progress.advance(int(share * size), 0)):
        yield


def _canonical(display: str, settings: InputSettings) -> bool:
    """Whether ``display`` is read as canonical events with no override (profile, encoding,
    format): only such a file may be read by DuckDB itself."""
    return (
        display != STDIN
        and settings.encoding is None
        and settings.format is None
        and choose_profile(display, settings) is None
    )


def _duck_format(con: duckdb.DuckDBPyConnection, display: str, scan: _FileScan) -> str | None:
    """The format of ``display`` when DuckDB can read it record for record as Python does
    (``jsonl`` line for line, ``parquet`` row for row), else None."""
    if display == STDIN or scan.compressed:
        return None
    fmt = format_for(display)
    if fmt == "jsonl" and not scan.awkward and not scan.other_bom:
        return fmt
    if fmt == "parquet" and _parquet_exact(con, display):
        return fmt
    return None


#: DuckDB types whose JSON text (``to_json``) reads back as the value the project's Parquet reader
#: (pyarrow, :func:`checker.inputs.readers.read_parquet`) gives Python; nested in structs and lists too.
#: Not here: times and decimals (the reader turns them into ISO text and numbers its own way),
#: FLOAT (printed shorter than the double Python holds), maps (pairs in Python), blobs, HUGEINT.
_PARQUET_EXACT = frozenset(
    {
        "varchar",
        "boolean",
        "double",
        "bigint",
        "integer",
        "smallint",
        "tinyint",
        "uinteger",
        "usmallint",
        "utinyint",
    }
)


def _parquet_exact(con: duckdb.DuckDBPyConnection, path: str) -> bool:
    """Whether every column of the Parquet file ``path`` has a type in :data:`_PARQUET_EXACT`."""

    def exact(ty: Any) -> bool:
        if ty.id in ("struct", "list"):
            return all(exact(child) for _, child in ty.children)
        return ty.id in _PARQUET_EXACT

    try:
        types = con.sql("SELECT * FROM read_parquet($p)", params={"p": path}).types
    except duckdb.Error:  # unreadable: the project's reader says why
        return False
    return all(exact(ty) for ty in types)


def _exotic(record: dict[str, Any]) -> str | None:
    """JSON text DuckDB reads exactly as Python holds ``record``, or None when it cannot
    (non-finite floats, lone surrogates, integers beyond 64 bits)."""

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        if isinstance(value, int) and not isinstance(value, bool):
            return -(2**63) <= value < 2**63
        return True

    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return None
    return text if plain(record) else None


def load_events(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | os.PathLike[str]],
    timezone: str,
    read_keys: Sequence[str],
    fields: Sequence[tuple[str, ...]] = (),
    *,
    now: int | None = None,
    settings: InputSettings | None = None,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> IntakeResult:
    """Read ``paths`` into the temporary table ``ev`` and account for every record.

    Inputs are expanded and ordered as :func:`checker.inputs.files.expand` does. Plain
    JSON Lines files (and exact Parquet) are read by DuckDB; any other input (gzip, JSON
    arrays, CSV, TSV, profiles, odd bytes) is converted once, in a stream, by the project's
    readers into canonical JSON Lines numbered as the source, then decided with the rest.
    ``read_keys`` are the object keys some rule reads below the top level: a line giving one of
    them twice is left to Python.
    ``fields`` are the JSON paths rules read: extracted once here, as ``ev.fx``. ``now`` is the
    run's present (default: the wall clock, read once here): see :class:`checker.inputs.events.Intake`.
    ``settings`` carry the run's profiles, encoding and format (default: canonical events, UTF-8,
    format by name): a file read through a profile or an override, and standard input (``-``, read
    from ``stdin`` or the process's), go to the project's readers like any other non-plain input.
    ``progress`` shows the bytes read (DuckDB's estimate within a file it reads itself).
    """
    now = wall_clock_now() if now is None else now
    settings = settings or settings_for(timezone)
    limit = future_limit(now)
    z = zone_table(timezone)
    extract = _extract(fields)
    shown = expand(paths)
    # the run's own directory (converted inputs, snapshots), made when first needed; removed at the
    # end of a failed intake, else by the caller once no finding needs it (IntakeResult.workdir)
    directory: list[str] = []
    try:
        # the files DuckDB reads itself are read through a snapshot where one can be made
        reads = [_snapshot(con, p, fi, settings, directory) for fi, p in enumerate(shown)]
        scans = [_FileScan(Path(p)) for p in reads]
        # standard input is read once, by the project's reader (which hashes it as it reads)
        threads = [
            threading.Thread(target=s.run, daemon=True)
            for s, p in zip(scans, shown, strict=True)
            if p != STDIN
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for fi, scan in enumerate(scans):
            if scan.error is not None:
                raise CheckerError([Problem(Location(shown[fi]), "unreadable-file", str(scan.error))])
    except BaseException:
        if directory:
            shutil.rmtree(directory[0], ignore_errors=True)
        raise
    if progress is not None:
        progress.begin(None if STDIN in shown else sum(os.path.getsize(local_path(p)) for p in shown))

    keys = list(dict.fromkeys([*TOP_KEYS, *read_keys]))
    nested = [k for k in keys if k not in TOP_KEYS]
    # the table's columns, typed as the query types them (over no line)
    empty = tmpl("SELECT CAST(0 AS INTEGER) AS fi, CAST('' AS VARCHAR) AS text WHERE false")
    con.execute(
        sql(
            tmpl(
                "CREATE OR REPLACE TEMP TABLE classified_rows AS {q}",
                q=_classify(empty, z, nested, fields, limit=limit),
            )
        )
    )
    # the line numbers rest on it (connect() sets it too): rows are stored in the order they are read
    con.execute("SET preserve_insertion_order = true")
    duck_files: list[int] = []
    parquet: set[int] = set()
    # the inputs DuckDB cannot read itself, each converted once (convert.py) into a temporary
    # JSON Lines file whose line numbers are the source's
    converted: dict[int, Converted] = {}

    def classify(fi: int, source: LineFiles, size: int, watched: Progress | None) -> bool:
        # classified as read, on every thread (a row_number() would run the whole pass on one),
        # one row per line, in the file's order: the line number is the row's place (see below);
        # no table holds a fast line's text
        lines = tmpl("SELECT CAST({fi} AS INTEGER) AS fi, text FROM ({r})", fi=lit(fi), r=_lines(source))
        try:
            with _watch(con, watched, size):
                inserted = con.execute(
                    sql(
                        tmpl(
                            "INSERT INTO classified_rows SELECT * FROM ({q})",
                            q=_classify(lines, z, nested, fields, limit=limit),
                        )
                    )
                ).fetchone()
        except duckdb.Error:  # not readable line for line as Python reads it
            con.execute("DELETE FROM classified_rows WHERE fi = ?", [fi])
            return False
        if watched is not None:
            watched.advance(size, inserted[0] if inserted else 0, done=True)
        return True

    done = False
    try:
        for fi, path in enumerate(shown):
            fmt = _duck_format(con, reads[fi], scans[fi]) if _canonical(path, settings) else None
            # the size the scan found: the file may be gone by now (then DuckDB fails to read it,
            # and the project's reader says it is unreadable)
            pinned = scans[fi].pinned
            size = pinned[0][2] if pinned is not None else 0
            if fmt is not None and classify(fi, reads[fi], size, progress):
                if fmt == "parquet":
                    parquet.add(fi)
                duck_files.append(fi)
                continue
            # any other input, or one DuckDB could not read line for line as Python reads it:
            # the project's reader reads it once, into canonical JSON Lines DuckDB classifies
            if not directory:
                directory.append(tempfile.mkdtemp(prefix="checker-intake-", dir=_temp_directory(con)))
            profile = choose_profile(path, settings)
            conv = None
            if not scans[fi].compressed and not scans[fi].awkward:
                # a CSV or TSV file mapped by DuckDB itself where it can (profilesql)
                conv = convert_in_sql(con, path, profile, settings, directory[0], fi, _lines)
                if conv is not None and progress is not None:
                    progress.advance(size, 0, done=True)
            if conv is None:
                conv = convert_in_pieces(path, profile, settings, directory[0], fi, progress=progress)
            if conv is not None:  # read in pieces: the bytes are the ones the scan hashed and pinned
                conv.stats.sha256 = scans[fi].sha256
                if (pinned := scans[fi].pinned) is not None:
                    conv.stats.pin = FilePin(local_path(path), *pinned, scans[fi].sha256)
                    check_pins([conv.stats], "while it was read")  # as read_file checks its own
            else:
                conv = convert(path, profile, settings, directory[0], fi, stdin=stdin, progress=progress)
            converted[fi] = conv
            if not classify(fi, conv.path, 0, None):
                raise CheckerError(
                    [Problem(Location(path), "internal", "DuckDB could not read the converted input")]
                )
            duck_files.append(fi)
        result = _decide(con, shown, reads, scans, duck_files, parquet, converted, timezone, now, extract)
        result.workdir = directory[0] if directory else None
        done = True
        return result
    finally:
        # the converted files stay for the findings' evidence (the caller removes them), but not
        # after a failed intake
        if directory and not done:
            shutil.rmtree(directory[0], ignore_errors=True)


def _snapshot(
    con: duckdb.DuckDBPyConnection, path: str, fi: int, settings: InputSettings, directory: list[str]
) -> str:
    """Where the intake reads input ``path``: a :class:`~.convert.Snapshot` of a JSON Lines or
    Parquet file DuckDB may read itself (a hard link in the run's directory, made here with the
    directory), else the file itself (:func:`~checker.inputs.files.local_path`): another file
    system, or a file the process may not link."""
    source = local_path(path)
    if not _canonical(path, settings) or format_for(path) not in ("jsonl", "parquet"):
        return source
    if not directory:
        directory.append(tempfile.mkdtemp(prefix="checker-intake-", dir=_temp_directory(con)))
    # the input's own name kept at the end: its format is known by it
    link = os.path.join(directory[0], f"input-{fi}-{os.path.basename(path)}")
    try:
        os.link(source, link)
    except OSError:  # another file system, links not allowed, or no such file (the scan says)
        return source
    return Snapshot(link)


def _temp_directory(con: duckdb.DuckDBPyConnection) -> str | None:
    """DuckDB's spill directory (where the engine keeps its temporary data), if it has one."""
    row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    where = str(row[0]) if row and row[0] else ""
    return where if where and os.path.isdir(where) else None


def _decide(
    con: duckdb.DuckDBPyConnection,
    shown: list[str],
    reads: list[str],
    scans: list[_FileScan],
    duck_files: list[int],
    parquet: set[int],
    converted: dict[int, Converted],
    timezone: str,
    now: int,
    extract: Any,
) -> IntakeResult:
    """Decide every classified line (SQL on the fast path, Python for the rest) into ``ev``."""
    # a file's rows are one run of rowids in line order: its line n is its first rowid + n - 1,
    # the number Python counts and line_reader gives. Empty lines go: Python skips them too
    con.execute(
        "CREATE OR REPLACE TEMP TABLE classified_starts AS "
        "SELECT fi, min(rowid) AS first FROM classified_rows GROUP BY fi"
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW classified AS "
        "SELECT c.fi, c.rowid - s.first + 1 AS line, c.* EXCLUDE (fi) "
        "FROM classified_rows c JOIN classified_starts s ON c.fi = s.fi "
        "WHERE c.fast OR c.text IS NOT NULL"
    )
    # every file classified line for line, whose lines ev points at: a converted input's is its
    # converted file
    lines_at: dict[int, LineFiles] = {
        fi: converted[fi].path if fi in converted else reads[fi] for fi in duck_files
    }
    sides = {fi: c.side for fi, c in converted.items()}

    # records Python decides: lines off the fast path, and those the converters kept as they are
    calls: list[tuple[int, int, str, tuple[Any, ...]]] = []

    def record_calls(rows: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str, tuple[Any, ...]]]:
        # a converted line is the record; what the reader read is beside it, in the side file
        texts = _side_texts(con, sides, [(fi, line) for fi, line, _ in rows if fi in sides], shown)
        out: list[tuple[int, int, str, tuple[Any, ...]]] = []
        for fi, line, text in rows:
            mapped = converted[fi].python_line if fi in converted else None
            if mapped is not None:  # its side file is the source: the line as the reader read it
                if text == HARD:
                    out.extend((fi, *c) for c in mapped(line, texts[(fi, line)]))
                else:
                    out.append((fi, line, "add", (orjson.loads(text), texts[(fi, line)])))
            elif fi in sides:
                out.append((fi, line, "add", (orjson.loads(text), orjson.loads(texts[(fi, line)]))))
            elif fi in parquet:  # the row's record as the reader gives it, with the text it writes
                row = parquet_row(line, json.loads(text))  # to_json writes NaN and Infinity, as read here
                if row.error is not None:
                    out.append((fi, line, "reject", (*row.error, row.text)))
                else:
                    out.append((fi, line, "add", (row.value, row.text)))
            else:
                raw = text.encode("utf-8", "surrogateescape")
                out.extend((fi, *c) for c in _line_calls(line, raw, shown[fi]))
        return out

    calls.extend(record_calls(con.execute("SELECT fi, line, text FROM classified WHERE NOT fast").fetchall()))
    formats: dict[int, tuple[str, str | None, str]] = {}
    pins: dict[int, FilePin | None] = {}  # of the files the project's readers read (read_file pins)
    for fi, conv in converted.items():
        formats[fi] = (conv.stats.format, conv.stats.profile, conv.stats.sha256)
        pins[fi] = conv.stats.pin
        calls.extend((fi, *c) for c in conv.calls)
    py_ids = {
        eid
        for _, line, kind, args in calls
        if (eid := _accepted_id((line, kind, args), timezone, now)) is not None
    }
    # the ids Python accepts a version of (one statement: a row at a time took minutes at 1M)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE py_ids AS SELECT unnest(CAST(? AS VARCHAR[])) AS eid",
        [sorted(py_ids)],
    )
    # ids given by more than one fast line, each with its first line; ``texts`` is 2 when two of
    # its lines differ (different hashes: different texts), else 1 until the texts say (below)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE multi AS SELECT eid, "
        "CASE WHEN min(h) = max(h) THEN 1 ELSE 2 END AS texts, "
        "min(fi * 1099511627776 + line) AS first FROM classified WHERE fast "
        "GROUP BY eid HAVING count(*) > 1"
    )
    # the fast lines whose text is needed: those of ids Python sees, and those of repeated ids, whose
    # texts are compared themselves (equal hashes do not prove equal texts): read again, by line
    con.execute(
        "CREATE OR REPLACE TEMP TABLE reread AS SELECT c.fi, c.line, c.eid FROM classified c "
        "WHERE c.fast AND (c.eid IN (SELECT eid FROM py_ids) OR c.eid IN (SELECT eid FROM multi))"
    )
    reread = con.execute("SELECT fi, line, eid FROM reread").fetchall()
    texts = read_lines(con, lines_at, "reread", shown) if reread else {}
    con.execute("DROP TABLE reread")
    versions: dict[str, set[str]] = {}
    for fi, line, eid in reread:
        versions.setdefault(eid, set()).add(texts[(fi, line)])
    differ = sorted(eid for eid, seen in versions.items() if len(seen) > 1)
    if differ:
        con.execute("UPDATE multi SET texts = 2 WHERE eid IN (SELECT unnest(CAST(? AS VARCHAR[])))", [differ])
    # every version of an id that Python sees, or that has two different texts, goes to Python
    routed = py_ids.union(differ)
    calls.extend(record_calls([(fi, line, texts[(fi, line)]) for fi, line, eid in reread if eid in routed]))
    calls.sort(key=lambda c: (c[0], c[1]))

    intake = Intake(timezone, now=now)
    stats = []
    for fi, path in enumerate(shown):
        fmt, profile, sha = formats.get(fi, ("parquet" if fi in parquet else "jsonl", None, scans[fi].sha256))
        stats.append(intake.open(path, sha256=sha, format=fmt, profile=profile))
        if fi in formats:
            stats[fi].pin = pins[fi]
        elif (pinned := scans[fi].pinned) is not None:
            stats[fi].pin = FilePin(reads[fi], *pinned, sha)
    for fi, line, kind, args in calls:
        if kind == "add":
            intake.add(stats[fi], line, *args)
        else:
            intake.reject(stats[fi], line, *args)
    py_batch = intake.finish()

    # the fast lines SQL decides: first version accepted, identical later ones duplicates
    decided = (
        "SELECT c.*, m.first IS NULL OR m.first = c.fi * 1099511627776 + c.line AS keep "
        "FROM classified c LEFT JOIN multi m ON c.eid = m.eid "
        "WHERE c.fast AND c.eid NOT IN (SELECT eid FROM py_ids) AND coalesce(m.texts, 1) = 1"
    )
    counts = tmpl("SELECT fi, count(*), count(*) FILTER (WHERE keep) FROM ({d}) GROUP BY fi", d=tmpl(decided))
    for fi, read, accepted in con.execute(sql(counts)).fetchall():
        stats[fi].read += read
        stats[fi].accepted += accepted
        stats[fi].duplicates += read - accepted
    source = exp.Subquery(this=tmpl(decided), alias=exp.TableAlias(this=exp.to_identifier("d")))
    # the record's text stays out of the event table (at export scale it is most of its size and
    # made it spill): a finding's evidence is read again from its file and line (read_lines), a
    # converted input's from its converted file (``text`` is NULL on every fast line)
    # each (platform, action) numbered in their order: the event table is sorted by that number
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_groups AS SELECT platform, action, "
        "CAST(row_number() OVER (ORDER BY platform, action) AS INTEGER) AS g "
        "FROM (SELECT DISTINCT platform, action FROM classified_rows WHERE fast)"
    )
    kept = (
        exp.select(
            "eid",
            "ts",
            col("platform", "d"),
            "seller_id",
            col("action", "d"),
            exp.alias_(exp.cast(col("text"), "VARCHAR"), "rec"),
            "fx",
            exp.alias_(exp.false(), "exotic"),
            "fi",
            "line",
        )
        .from_(source)
        .join(
            exp.to_table("ev_groups").as_("grp"),
            on=and_(
                tmpl("{a} = {b}", a=col("platform", "d"), b=col("platform", "grp")),
                tmpl("{a} = {b}", a=col("action", "d"), b=col("action", "grp")),
            ),
        )
        .where(col("keep"))
        # clustered by (platform, action): each rule's base table then reads the row groups of its
        # own actions (their zone maps say which), not every event; at 1M events this halves the
        # CPU time of judging the 15 rules. Sorted as the table is made (0.3 s less than sorting
        # it afterwards), by the pair's number rather than its two texts (at 10M events, 8.7 s
        # instead of 11.1-12.8 s: the sort spills)
        .order_by(col("g", "grp"))
    )
    # not temporary: the rules read it on several connections at once (engine.DuckdbRun)
    con.execute(sql(tmpl("CREATE OR REPLACE TABLE ev AS {q}", q=kept)))
    con.execute("DROP TABLE ev_groups")
    con.execute("DROP VIEW classified")
    con.execute("DROP TABLE classified_starts")
    con.execute("DROP TABLE classified_rows")
    exotic = _insert_python_events(con, py_batch.events, extract, shown)
    if len(py_batch.events) > _ROW_GROUP:
        # appended after the sorted rows: a few fill one row group that every rule reads, but more
        # would undo the clustering
        con.execute("CREATE OR REPLACE TABLE ev AS SELECT * FROM ev ORDER BY platform, action")
    exotic_events = {e.event_id: e for e in py_batch.events if _exotic(dict(e.record)) is None}

    actions: Counter[str] = Counter(
        dict(con.execute("SELECT action, count(*) FROM ev GROUP BY action").fetchall())
    )
    latest = con.execute("SELECT max(ts) FROM ev").fetchone()
    # the SHA-256s are of the bytes scanned before DuckDB read them: the files must still hold them
    check_pins(stats)
    return IntakeResult(
        tuple(stats),
        py_batch.rejected,
        +actions,
        latest[0] if latest else None,
        frozenset(exotic),
        exotic_events,
        lines_at,
        tuple(shown),
    )


def _extract(fields: Sequence[tuple[str, ...]]) -> Any:
    """SQL reading ``fields`` from a record's JSON text, as one list (one parse)."""
    if not fields:
        return lambda text: exp.cast(fn("list_value"), "JSON[]")
    paths = exp.Array(expressions=[lit(json_path(f)) for f in fields])
    return lambda text: fn("json_extract", text, paths.copy())


def _insert_python_events(
    con: duckdb.DuckDBPyConnection, events: Sequence[Event], extract: Any, names: Sequence[str]
) -> set[tuple[str, str]]:
    """Add the events Python accepted to ``ev``, with their record's text and where they were read
    (``names``: the inputs by index); return (platform, action) of exotic ones."""
    index = {name: fi for fi, name in enumerate(names)}
    exotic: set[tuple[str, str]] = set()
    if not events:
        return exotic
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as fh:
        for e in events:
            text = _exotic(e.record)
            if text is None:
                exotic.add((e.platform, e.action))
            fh.write(
                json.dumps(
                    {
                        "eid": e.event_id,
                        "ts": e.epoch,
                        "platform": e.platform,
                        "seller_id": e.seller_id,
                        "action": e.action,
                        "rec": text,
                        "exotic": text is None,
                        # where the record was read: the findings' evidence points there (SARIF
                        # locations, annotations), as the reference engine's does
                        "fi": index.get(e.file),
                        "line": e.line or None,
                    },
                    ensure_ascii=True,
                )
                + "\n"
            )
        name = fh.name
    try:
        con.execute(
            sql(
                tmpl(
                    "INSERT INTO ev SELECT eid, ts, platform, seller_id, action, rec, {fx}, exotic, "
                    "fi, line FROM read_json({p}, format = 'newline_delimited', "
                    "columns = {eid: 'VARCHAR', ts: 'BIGINT', platform: 'VARCHAR', "
                    "seller_id: 'VARCHAR', action: 'VARCHAR', rec: 'VARCHAR', exotic: 'BOOLEAN', "
                    "fi: 'INTEGER', line: 'BIGINT'})",
                    p=lit(name),
                    fx=extract(col("rec")),
                )
            )
        )
    finally:
        os.unlink(name)
    return exotic


def read_lines(
    con: duckdb.DuckDBPyConnection, files: Mapping[int, LineFiles], table: str, names: Sequence[str]
) -> dict[tuple[int, int], str]:
    """The text of the lines listed in the temporary table ``table`` (``fi``, ``line``), read again
    by the very reader that numbered them at intake (so the same text): one pass per file.
    ``names`` are the inputs' names, for an error (:func:`evidence_unreadable`)."""
    out: dict[tuple[int, int], str] = {}
    listed = sql(tmpl("SELECT DISTINCT fi FROM {t} ORDER BY fi", t=exp.to_table(table)))
    for (fi,) in con.execute(listed).fetchall():
        query = tmpl(
            "SELECT l.line, l.text FROM ({r}) l SEMI JOIN (SELECT line FROM {t} WHERE fi = {fi}) w "
            "ON l.line = w.line",
            r=line_reader(files[fi]),
            t=exp.to_table(table),
            fi=lit(fi),
        )
        try:
            rows = con.execute(sql(query)).fetchall()
        except duckdb.Error as exc:
            raise evidence_unreadable(files, names, fi, exc) from exc
        for line, text in rows:
            out[(fi, line)] = text
    return out


def evidence_unreadable(
    files: Mapping[int, LineFiles], names: Sequence[str], fi: int, exc: duckdb.Error
) -> CheckerError:
    """The error of input ``fi``'s lines that DuckDB can no longer read when it reads them again,
    at the input the result names (:func:`.convert.line_source`)."""
    name, copy = line_source(files, names, fi)
    where = "" if copy is None else f" from the run's converted copy of this input ({copy})"
    why = str(exc).splitlines()[0]  # DuckDB adds the statement's text on further lines
    return CheckerError(
        [Problem(Location(name), "unreadable-file", f"cannot read the evidence again{where}: {why}")]
    )


def _side_texts(
    con: duckdb.DuckDBPyConnection,
    sides: Mapping[int, LineFiles],
    wanted: Sequence[tuple[int, int]],
    names: Sequence[str],
) -> dict[tuple[int, int], str]:
    """The lines ``wanted`` (input, line) of the converted inputs' side files (``sides``: each
    converted input's original texts, a JSON string per line), one pass per file."""
    if not wanted:
        return {}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE side_need AS "
        "SELECT unnest(CAST(? AS INTEGER[])) AS fi, unnest(CAST(? AS BIGINT[])) AS line",
        [[fi for fi, _ in wanted], [line for _, line in wanted]],
    )
    try:
        return read_lines(con, sides, "side_need", names)
    finally:
        con.execute("DROP TABLE side_need")
