"""A CSV or TSV export (through a profile, or canonical) mapped to canonical records by DuckDB.

The project's reader and :meth:`checker.inputs.profiles.Profile.apply` (or, without a profile,
:func:`checker.inputs.profiles.canonical_from_flat`) cost about 20 µs a record in Python: a
profiled export took twice as long as the same events as JSON Lines. Here the mapping is compiled
to SQL over the export's lines, and DuckDB writes the converted JSON Lines file
(:mod:`checker.engines.duckdb.convert` describes that file) on every core.

SQL maps a line only on a *fast path* that provably gives the record Python gives, and writes
:data:`HARD` in its place otherwise; such a line is converted by Python, with the header, as the
reader would (:func:`python_line`). Off the fast path:

* a line with a cell count other than the header's, a cell starting or ending with white space
  (Python strips it), a bracket count past the depth limit, ``NaN`` or ``Infinity``
  (:func:`.convert.canonical_bytes` leaves those to Python), a line too long for the converted
  file, and the header line (and any line like it);
* a cell that does not read exactly as its type in the strict forms below: an integer in plain
  ASCII digits (at most 18), a number also with a fraction or a two-digit exponent and no
  leading zero, a boolean among the profile's texts, a JSON scalar or a string without ``\\u``
  escapes, a time in the first format when that is a numeric strptime pattern
  (:func:`checker.inputs.fieldtypes.wall_text`) on a day its zone keeps one offset; without a
  profile, a cell that JSON might read as something else than a short number or a literal;
* a value the profile cannot map (not in its map, a required value missing, a subject id
  without a type).

A quoted CSV cell is read on the fast path too (:func:`cells_of`): a file gets here only when
every line holding a quote is a whole, well-formed record (:func:`utf8_lines`).

A whole file goes to the project's reader instead (:func:`convert_in_sql` returns None) when the
mapping does something this module does not compile (a hash of columns, a JMESPath, a slug, extra
columns under ``data``, an epoch format, a zone with many offset changes, nesting deeper than one
level), or the file is not one whose lines are its records: gzip, another encoding than UTF-8 or
GB18030 (GB18030 is written again as UTF-8 first), carriage returns or NUL bytes, a header with a
quote, or a CSV line with a quote that is not a whole record on its own (a quoted cell holding a
newline).
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import orjson
from sqlglot import exp

from ...inputs.events import InputStats
from ...inputs.fieldtypes import CONVERTERS, ConversionError, day_offset, fast_pattern
from ...inputs.files import STDIN, InputSettings, local_path, take_record
from ...inputs.profiles import (
    MISSING,
    STRING_FIELDS,
    MappingError,
    Profile,
    ValueSpec,
)
from ...inputs.readers import (
    MAX_DEPTH,
    READERS,
    Header,
    ReadOptions,
    format_for,
    normalise_encoding,
    open_stream,
)
from ...language.durations import US_PER_SECOND
from ...language.times import DEFAULT_TIMEZONE, zone
from .convert import MAX_CONVERTED_BYTES, Call, Converted, Recorder
from .sqlbuild import and_, case, col, fn, lit, or_, sql, tmpl
from .timesql import RANGE_HI, RANGE_LO, zone_table

#: the converted line of a record Python converts (never a JSON text, so never on the fast path)
HARD = "\x02"
#: every character :meth:`str.strip` removes (``str.isspace``): a cell starting or ending with one
#: is Python's (``tests`` check the list against Python's own)
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: delimiters compiled here (the csv module takes any one character; these are the usual ones)
_DELIMITERS = frozenset(",\t;|")
#: the longest source line SQL maps: its converted text (escapes may grow it up to 6x) stays under
#: the converted file's limit
_MAX_LINE = MAX_CONVERTED_BYTES // 8
#: the offset intervals a zone may have for its times to be mapped here: each is a branch of one
#: CASE per time cell
_MAX_INTERVALS = 32
_INTEGER = "[+-]?[0-9]{1,18}"
#: a number as JSON writes it, of at most 18 integer digits and a two-digit exponent: a cell of the
#: ``number`` type (after the plain integers) and of the ``json`` type is written as it is
_NUMBER = "-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?"
_JSON_LITERALS = ("true", "false", "null")
#: a JSON string without \\u escapes (which may write a lone surrogate): every reader reads it alike
_JSON_STRING = '"([^"\\\\\\x{0}-\\x{1f}]|\\\\["\\\\/bfnrt])*"'


class Unsupported(Exception):
    """The profile does something :func:`compile_mapping` does not compile."""


@dataclass(frozen=True)
class SqlMapping:
    """A profile compiled for one header: the converted line of a source line, in SQL."""

    header_text: str
    delimiter: str
    quoting: bool  # CSV: a quote may open a quoted cell
    # lines (``text``) -> converted lines (``out``; explain: and each check, true where it sends
    # the line to Python)
    query: Callable[[exp.Expression, bool], exp.Expression]


def _json(value: Any) -> str:
    """The JSON text of a value the profile gives (reads back as the same value), or Unsupported."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError as exc:  # a value JSON does not hold, an integer beyond 64 bits
        raise Unsupported(f"value {value!r}") from exc


def _re2_class(chars: str) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


def _no_value() -> exp.Expression:
    return exp.cast(exp.Null(), "VARCHAR")


@dataclass(frozen=True)
class _Value:
    """One compiled value: its JSON text (NULL: absent) and when the line is Python's."""

    json: exp.Expression
    hard: exp.Expression


def cat(*parts: exp.Expression) -> exp.Expression:
    """``a || b || ...``: NULL when any part is (DuckDB's concat() would skip it)."""
    out = parts[0]
    for part in parts[1:]:
        out = exp.DPipe(this=out, expression=part)
    return out


class _Stages:
    """Columns computed before the values that read them, a layer each (a time cell's fields,
    their day, its offset), each named once: a value read in several places is computed once."""

    def __init__(self) -> None:
        self.layers: list[list[tuple[str, exp.Expression]]] = [[], [], []]
        self.count = 0

    def add(self, layer: int, expression: exp.Expression) -> exp.Expression:
        name = f"v{self.count}"
        self.count += 1
        self.layers[layer].append((name, expression))
        return col(name)


def day_intervals(tz: ZoneInfo) -> list[tuple[date, date, str]]:
    """The runs of days (first, last, offset text) on which ``tz`` keeps one offset all day, as
    :func:`checker.inputs.fieldtypes.day_offset` finds it, between 1970 and 2100; the days on
    which the offset changes are in none."""
    z = zone_table(tz.key)
    edges = [RANGE_LO, *(t for t, _, _ in z.transitions), RANGE_HI]
    offsets = [z.initial, *(after for _, _, after in z.transitions)]
    out = []
    for (lo, hi), offset in zip(itertools.pairwise(edges), offsets, strict=True):
        # the local days wholly inside [lo, hi): after the day of lo, before the day of hi
        first = date(1970, 1, 1) + timedelta(days=(lo + offset) // (86_400 * US_PER_SECOND) + 1)
        last = date(1970, 1, 1) + timedelta(days=(hi + offset) // (86_400 * US_PER_SECOND) - 1)
        if first > last:
            continue
        texts = {day_offset(tz, f"{d.year:04d}", f"{d.month:02d}", f"{d.day:02d}") for d in (first, last)}
        if len(texts) == 1 and (text := texts.pop()) is not None:
            out.append((first, last, text))
    return out


def _timestamp(cell: exp.Expression, spec: ValueSpec, stages: _Stages) -> _Value:
    """A time cell as :func:`checker.inputs.fieldtypes.wall_text` writes it, in SQL."""
    formats = spec.conversion.formats
    pattern = fast_pattern(formats[0]) if formats else None
    if pattern is None:
        raise Unsupported(f"timestamp format {formats[:1]}")
    tz = spec.conversion.tz or zone(DEFAULT_TIMEZONE)
    intervals = day_intervals(tz)
    if len(intervals) > _MAX_INTERVALS:
        raise Unsupported(f"zone {tz.key}")
    names = list(pattern.groupindex)
    # the pattern's named groups, positionally (RE2 names them too, but a list of names reads them
    # by place): one match for every field
    parts = stages.add(
        0,
        case(
            (
                tmpl("{c} <> ''", c=cell),
                fn(
                    "regexp_extract",
                    cell.copy(),
                    lit("^" + pattern.pattern + "$"),
                    exp.Array(expressions=[lit(n) for n in names]),
                ),
            ),
        ),
    )

    def part(name: str) -> exp.Expression:
        return fn("struct_extract", parts.copy(), lit(name)) if name in names else lit("00")

    # the day as ISO text, compared as text with the intervals' ends (one cast, to check the day)
    day = stages.add(1, cat(part("year"), lit("-"), part("month"), lit("-"), part("day")))
    offset = stages.add(
        2,
        case(
            (tmpl("{d} IS NULL OR try_cast({d} AS DATE) IS NULL", d=day), _no_value()),
            *[
                (tmpl("{d} BETWEEN {a} AND {b}", d=day.copy(), a=lit(str(a)), b=lit(str(b))), lit(text))
                for a, b, text in sorted(intervals, reverse=True)  # the latest first: most data is recent
            ],
        ),
    )
    fraction: exp.Expression = lit("")
    if "microsecond" in names:
        micro = fn("rpad", part("microsecond"), lit(6), lit("0"))
        fraction = case(
            (tmpl("{f} = '000000'", f=micro), lit("")), default=tmpl("concat('.', {f})", f=micro.copy())
        )
    text = fn(
        "concat",
        lit('"'),
        part("year"),
        lit("-"),
        part("month"),
        lit("-"),
        part("day"),
        lit("T"),
        part("hour"),
        lit(":"),
        part("minute"),
        lit(":"),
        part("second"),
        fraction,
        offset,
        lit('"'),
    )
    ok = tmpl("{o} IS NOT NULL", o=offset.copy())  # no match: no day, no offset
    return _Value(case((ok, text)), exp.not_(ok.copy()))


def _typed(cell: exp.Expression, spec: ValueSpec, stages: _Stages) -> _Value:
    """A non-empty cell (no white space at either end) converted to the spec's type."""
    kind = spec.type
    if CONVERTERS.get(kind) is None:
        raise Unsupported(f"type {kind}")
    if kind in ("string", "any"):
        return _Value(exp.cast(fn("to_json", cell), "VARCHAR"), exp.false())
    if kind == "integer":
        ok = fn("regexp_full_match", cell, lit(_INTEGER))
        number = exp.cast(exp.cast(cell, "BIGINT"), "VARCHAR")
        return _Value(case((ok, number)), exp.not_(ok.copy()))
    if kind == "number":
        whole = fn("regexp_full_match", cell, lit(_INTEGER))
        fraction = fn("regexp_full_match", cell, lit(_NUMBER))
        value = case((whole, exp.cast(exp.cast(cell, "BIGINT"), "VARCHAR")), (fraction, cell.copy()))
        return _Value(value, exp.not_(or_(whole.copy(), fraction.copy())))
    if kind == "boolean":
        truths = sorted(spec.conversion.truths)
        falsehoods = sorted(spec.conversion.falsehoods)
        ascii_ = fn("regexp_full_match", cell, lit("[\\x{20}-\\x{7e}]*"))

        value = case(
            # Python lowers the text (str.lower) and tries the true texts first; DuckDB's lower()
            # is the same on ASCII, and any other text is compared as it is
            (and_(ascii_, _among(fn("lower", cell), truths)), lit("true")),
            (and_(ascii_.copy(), _among(fn("lower", cell), falsehoods)), lit("false")),
            # a text that is its own lower case: Python's lower() of the cell is the text too
            (_among(cell, [t for t in truths if not t.isascii() and t.lower() == t]), lit("true")),
            (_among(cell, [t for t in falsehoods if not t.isascii() and t.lower() == t]), lit("false")),
        )
        return _Value(value, tmpl("{v} IS NULL", v=value.copy()))
    if kind == "json":
        ok = or_(
            _among(cell, _JSON_LITERALS),
            fn("regexp_full_match", cell, lit(_NUMBER)),
            fn("regexp_full_match", cell, lit(_JSON_STRING)),
        )
        return _Value(case((ok, cell.copy())), exp.not_(ok.copy()))
    if kind == "timestamp":
        return _timestamp(cell, spec, stages)
    raise Unsupported(f"type {kind}")


def _among(x: exp.Expression, texts: Sequence[str]) -> exp.Expression:
    """``x IN (texts)``; false for none."""
    return exp.In(this=x.copy(), expressions=[lit(t) for t in texts]) if texts else exp.false()


def _constant(value: Any) -> _Value:
    if value is MISSING:
        return _Value(_no_value(), exp.false())
    return _Value(lit(_json(value)), exp.false())


def _absent(spec: ValueSpec) -> _Value:
    """:meth:`ValueSpec.absent` in SQL: the default, nothing, or (required) Python's to reject."""
    try:
        return _constant(spec.absent())
    except MappingError:
        return _Value(_no_value(), exp.true())


def _value(spec: ValueSpec, cells: Mapping[str, exp.Expression], stages: _Stages) -> _Value:
    """One value of :meth:`Profile.apply` in SQL (see :func:`checker.inputs.profiles._step`)."""
    if spec.constant is not MISSING:
        try:
            return _constant(spec.value({}))
        except MappingError as exc:
            raise Unsupported(f"constant of {spec.target}") from exc
    if spec.hash_columns or spec.column is None:
        raise Unsupported(f"{spec.where}")
    cell = cells.get(spec.column)
    if cell is None:  # a column with a default may be missing from the header: read as absent
        return _absent(spec)
    empty = _absent(spec)
    if spec.unmapped == "slug":
        raise Unsupported("unmapped: slug")
    if spec.value_map is None:
        present = _typed(cell, spec, stages)
    else:
        whens: list[tuple[exp.Expression, exp.Expression]] = []
        hard_keys: list[str] = []
        for key, mapped in spec.value_map.items():
            try:
                converted = CONVERTERS[spec.type](mapped, spec.conversion)
                whens.append((tmpl("{c} = {k}", c=cell, k=lit(key)), lit(_json(converted))))
            except ConversionError:
                hard_keys.append(key)
        if spec.unmapped == "keep":
            rest = _typed(cell, spec, stages)
        elif spec.unmapped == "constant":
            try:
                constant = CONVERTERS[spec.type](spec.unmapped_value, spec.conversion)
                rest = _Value(lit(_json(constant)), exp.false())
            except ConversionError:
                rest = _Value(_no_value(), exp.true())
        else:  # reject
            rest = _Value(_no_value(), exp.true())
        known = _among(cell, list(spec.value_map))
        unmappable = _among(cell, hard_keys)
        present = _Value(
            case(*whens, default=rest.json) if whens else rest.json,
            or_(unmappable, and_(exp.not_(known), rest.hard)),
        )
    is_empty = tmpl("{c} = ''", c=cell)
    return _Value(
        case((is_empty, empty.json), default=present.json),
        case((is_empty.copy(), empty.hard), default=present.hard),
    )


def _grouped(values: Sequence[tuple[str, _Value]]) -> list[tuple[str, list[tuple[str, _Value]]]]:
    """The record's keys (targets ``head.rest`` or ``head``), in the order they are inserted: a
    head's values must be next to each other, so that the order does not depend on which values
    a line has."""
    heads: list[tuple[str, list[tuple[str, _Value]]]] = []
    for target, value in values:
        head, _, rest = target.partition(".")
        if heads and heads[-1][0] == head:
            heads[-1][1].append((rest, value))
        elif any(h == head for h, _ in heads):
            raise Unsupported(f"values of {head} apart")
        else:
            heads.append((head, [(rest, value)]))
    return heads


#: canonical CSV (no profile, :func:`checker.inputs.profiles.canonical_from_flat`): a number both
#: JSON parsers read alike (its ``_SHORT_NUMBER``; the length bound is its look-ahead's), the texts
#: a cell may hold to be read as a JSON literal, and an epoch number (``\d`` is any decimal digit)
_SHORT_INTEGER = "-?(0|[1-9][0-9]{0,17})"
_SHORT_DECIMAL = "-?(0|[1-9][0-9]*)\\.[0-9]+"
_MAYBE_LITERAL = "-?\\p{Nd}+(\\.\\p{Nd}+)?([eE][+-]?\\p{Nd}+)?|true|false|null|[\\[{].*"
_EPOCH = "-?\\p{Nd}+(\\.\\p{Nd}+)?"


def _flat_value(name: str, cell: exp.Expression) -> _Value:
    """One cell as :func:`checker.inputs.profiles.canonical_from_flat` reads it: identity fields as
    text, an epoch number in ``timestamp``, a JSON literal elsewhere; an empty cell absent."""
    short = or_(
        fn("regexp_full_match", cell, lit(_SHORT_INTEGER)),
        and_(
            fn("regexp_full_match", cell.copy(), lit(_SHORT_DECIMAL)),
            tmpl("strlen({c}) <= 16", c=cell.copy()),
        ),
    )
    text = exp.cast(fn("to_json", cell.copy()), "VARCHAR")
    if name in STRING_FIELDS:
        value = _Value(text, exp.false())
    elif name == "timestamp":
        value = _Value(
            case((short, cell.copy()), default=text),
            and_(exp.not_(short.copy()), fn("regexp_full_match", cell.copy(), lit(_EPOCH))),
        )
    else:
        plain = or_(short, _among(cell, _JSON_LITERALS))
        value = _Value(
            case((plain, cell.copy()), default=text),
            and_(exp.not_(plain.copy()), fn("regexp_full_match", cell.copy(), lit(_MAYBE_LITERAL))),
        )
    empty = tmpl("{c} = ''", c=cell.copy())
    return _Value(
        case((empty, _no_value()), default=value.json), case((empty.copy(), exp.false()), default=value.hard)
    )


def _flat_values(header: Sequence[str], cells: Mapping[str, exp.Expression]) -> list[tuple[str, _Value]]:
    """Every named column of a canonical CSV, by its dotted name (one level of nesting)."""
    names = [name for name in header if name]
    heads = {name.partition(".")[0] for name in names if "." in name}
    if any(name.count(".") > 1 or name in heads for name in names):
        raise Unsupported("nesting")
    return [(name, _flat_value(name, cells[name])) for name in names]


def compile_mapping(profile: Profile | None, header: Sequence[str], header_text: str, fmt: str) -> SqlMapping:
    """:meth:`Profile.apply` (no profile: :func:`checker.inputs.profiles.canonical_from_flat`) over
    lines of a file with ``header`` (its line ``header_text``), in SQL; raises :class:`Unsupported`."""
    if profile is not None and profile.unmapped_columns != "ignore":
        raise Unsupported("unmapped columns")
    delimiter = (profile.delimiter if profile is not None else None) or ("\t" if fmt == "tsv" else ",")
    if delimiter not in _DELIMITERS:
        raise Unsupported(f"delimiter {delimiter!r}")
    quoting = fmt == "csv"
    index = {name: i for i, name in enumerate(header)}
    cells: dict[str, exp.Expression] = {name: col(f"c{i}") for name, i in index.items()}
    stages = _Stages()
    if profile is not None:
        values = [(spec.target, _value(spec, cells, stages)) for spec in profile.values]
        read = sorted(
            {index[s.column] for s in profile.values if s.column in index and s.constant is MISSING}
        )
    else:
        values = _flat_values(header, cells)
        read = [i for i, name in enumerate(header) if name]
    parts: list[exp.Expression] = []
    hards: list[tuple[str, exp.Expression]] = []
    for head, grouped in _grouped(values):
        key = _json(head) + ":"
        if len(grouped) == 1 and not grouped[0][0]:
            value = grouped[0][1]
            parts.append(cat(lit(key), value.json))  # NULL when absent: concat_ws skips it
            hards.append((head, value.hard))
            continue
        if any(not rest for rest, _ in grouped) or len({rest for rest, _ in grouped}) != len(grouped):
            raise Unsupported(f"values of {head}")
        inner = fn("concat_ws", lit(","), *[cat(lit(_json(rest) + ":"), v.json) for rest, v in grouped])
        whole = fn("concat", lit(key + "{"), inner, lit("}"))
        hards.extend((f"{head}.{rest}", v.hard) for rest, v in grouped)
        if head == "subject" and profile is not None:
            # apply drops a subject without an id, and rejects one with an id but no type
            ids = [v.json for rest, v in grouped if rest == "id"]
            types = [v.json for rest, v in grouped if rest == "type"]
            has_id = tmpl("{v} IS NOT NULL", v=ids[0]) if ids else exp.false()
            has_type = tmpl("{v} IS NOT NULL", v=types[0]) if types else exp.false()
            hards.append(("subject", and_(has_id, exp.not_(has_type))))
            parts.append(case((has_id.copy(), whole)))
        else:
            parts.append(case((tmpl("{i} <> ''", i=inner.copy()), whole)))
    record = fn("concat", lit("{"), fn("concat_ws", lit(","), *parts), lit("}"))

    white = _re2_class(PY_WHITESPACE.replace(delimiter, ""))
    sep = re.escape(delimiter)
    text = col("text")
    line_checks = [
        # a quoted cell starting or ending with white space (the line's own test misses it)
        (
            "quoted white space",
            and_(
                tmpl("contains({t}, '\"')", t=text),
                tmpl(
                    "len(list_filter({c}, lambda x: regexp_matches(x, {w}))) > 0",
                    c=col("cells"),
                    w=lit(f"^{white}|{white}$"),
                ),
            )
            if quoting
            else exp.false(),
        ),
        ("cells", tmpl("len({c}) <> {n}", c=col("cells"), n=lit(len(header)))),
        # a cell starting or ending with white space: tested on the text of a line without quotes
        # (in a quoted cell, a delimiter beside white space is neither)
        (
            "white space",
            and_(
                tmpl("NOT contains({t}, '\"')", t=text) if quoting else exp.true(),
                fn("regexp_matches", text, lit(f"(^|{sep}){white}|{white}({sep}|$)")),
            ),
        ),
        ("length", tmpl("strlen({t}) > {n}", t=text, n=lit(_MAX_LINE))),
        (
            "depth",
            tmpl(
                "strlen({t}) - strlen(replace(replace({t}, '[', ''), '{', '')) > {d}",
                t=text,
                d=lit(MAX_DEPTH),
            ),
        ),
        ("non-finite", tmpl("contains({t}, 'NaN') OR contains({t}, 'Infinity')", t=text)),
    ]
    checks = [*line_checks, *hards]

    def query(lines: exp.Expression, explain: bool = False) -> exp.Expression:
        split = tmpl("SELECT text, {c} AS cells FROM ({l})", c=cells_of(text, delimiter, quoting), l=lines)
        layer: exp.Expression = exp.select(
            "text",
            "cells",
            *[exp.alias_(fn("list_extract", col("cells"), lit(i + 1)), f"c{i}") for i in read],
        ).from_(exp.Subquery(this=split, alias=exp.TableAlias(this=exp.to_identifier("s"))))
        for n, stage in enumerate(stages.layers):
            if stage:
                layer = exp.select(exp.Star(), *[exp.alias_(e, name) for name, e in stage]).from_(
                    exp.Subquery(this=layer, alias=exp.TableAlias(this=exp.to_identifier(f"t{n}")))
                )
        hard = or_(*[h for _, h in checks])
        out = case(
            (tmpl("{t} IS NULL", t=text), lit("")),
            # a line of empty cells: the reader skips it
            (fn("regexp_full_match", text, lit(f"{sep}*")), lit("")),
            # the header (line 1; python_line says so) and any line like it: Python's
            (or_(tmpl("{t} = {h}", t=text, h=lit(header_text)), hard), lit(HARD)),
            default=record,
        )
        # explain: also each check that sends a line to Python, by the value it is about
        shown = [exp.alias_(h.copy(), name, quoted=True) for name, h in checks] if explain else []
        return exp.select(exp.alias_(out, "out"), *shown).from_(
            exp.Subquery(this=layer, alias=exp.TableAlias(this=exp.to_identifier("c")))
        )

    return SqlMapping(header_text, delimiter, quoting, query)


def cells_of(text: exp.Expression, delimiter: str, quoting: bool) -> exp.Expression:
    """The cells of a line as the csv module reads a record written on one line: split at the
    delimiter; and (CSV) a line with a quote split at the quotes first, the delimiters inside
    quotes (every other piece) set aside as \\x01 (which no such file holds) before splitting at
    the others, then each quoted cell unquoted, its doubled quotes made single. Only a line
    that is a whole well-formed record gets here (:func:`utf8_lines`), so a cell holds a quote
    only when it starts with one."""
    split = fn("string_split", text, lit(delimiter))
    if not quoting:
        return split
    quoted = tmpl(
        "list_transform(string_split(array_to_string(list_transform(string_split({t}, '\"'), "
        "lambda s, i: CASE WHEN i % 2 = 0 THEN replace(s, {d}, chr(1)) ELSE s END), '\"'), {d}), "
        "lambda x: CASE WHEN starts_with(x, '\"') "
        "THEN replace(replace(substring(x, 2, length(x) - 2), '\"\"', '\"'), chr(1), {d}) ELSE x END)",
        t=text,
        d=lit(delimiter),
    )
    return case((tmpl("contains({t}, '\"')", t=text.copy()), quoted), default=split)


def python_line(
    profile: Profile | None, mapping: SqlMapping, fmt: str, display: str, line: int, text: str
) -> list[Call]:
    """What the project's reader and ``profile`` (None: a canonical CSV) hand the intake for source
    line ``line`` (``text``, a whole record on its own): converted with the header, as
    :func:`.convert.convert_piece` does."""
    rec = Recorder()
    if line == 1:  # the header (header_line)
        return rec.calls
    stats = rec.open(display, format=fmt, profile=profile.name if profile is not None else None)
    raw = (mapping.header_text + "\n" + text + "\n").encode("utf-8")
    options = ReadOptions("utf-8", profile.delimiter if profile is not None else None)
    for record in READERS[fmt](io.BytesIO(raw), options, display):
        if isinstance(record.value, Header):
            continue
        if record.error is not None:
            rec.reject(stats, line, *record.error, record.text)
        else:
            take_record(rec, stats, line, record.value, record.text, profile, flat=True)
    return rec.calls


# --- the source's lines: whole records, in UTF-8 -----------------------------------------------


#: a CSV line that is a whole record on its own (quoted cells closed, quotes doubled inside)
def _record_pattern(delimiter: bytes) -> re.Pattern[bytes]:
    d = re.escape(delimiter)
    cell = b'(?:"(?:[^"]|"")*"|[^"' + d + b"\\n]*)"
    return re.compile(cell + b"(?:" + d + cell + b")*")


def _lines_are_records(chunk: bytes, pattern: re.Pattern[bytes]) -> bool:
    """Whether every line of ``chunk`` (whole lines) holding a quote is a whole CSV record."""
    at = chunk.find(b'"')
    while at >= 0:
        start = chunk.rfind(b"\n", 0, at) + 1
        end = chunk.find(b"\n", at)
        end = len(chunk) if end < 0 else end
        if pattern.fullmatch(chunk, start, end) is None:
            return False
        at = chunk.find(b'"', end)
    return True


def utf8_lines(path: str, encoding: str, delimiter: str, quoting: bool, out: str) -> str | None:
    """``path`` as UTF-8 lines DuckDB reads line for line: the file itself (UTF-8) or a copy
    written at ``out`` (GB18030); None when a CSV line with a quote is not a whole record or the
    bytes are not all in the encoding."""
    pattern = _record_pattern(delimiter.encode()) if quoting else None
    decoder = codecs.getincrementaldecoder(encoding)("strict") if encoding != "utf-8" else None
    rest = b""
    try:
        with open(path, "rb") as fh, open(out, "wb") if decoder is not None else io.BytesIO() as copy:
            while True:
                block = fh.read(1 << 22)
                data = rest + block
                cut = data.rfind(b"\n") + 1 if block else len(data)
                whole, rest = data[:cut], data[cut:]
                if pattern is not None and not _lines_are_records(whole, pattern):
                    return None
                if decoder is not None:
                    copy.write(decoder.decode(whole, final=not block).encode("utf-8"))
                if not block:
                    break
    except UnicodeDecodeError:
        return None
    return out if decoder is not None else path


def header_line(
    path: str, encoding: str, fmt: str, display: str, delimiter: str | None
) -> tuple[list[str], str] | None:
    """The header names of ``path`` as the project's reader reads them, and the line's text; None
    when the first line is not a plain header (a quote, no newline after it)."""
    with open(path, "rb") as fh:
        first = fh.readline(1 << 20)
    if not first.endswith(b"\n") or b'"' in first or not first.strip():
        return None
    try:
        opened = open_stream(io.BytesIO(first), display, format=fmt, encoding=encoding)
        records = READERS[opened.format](opened.stream, ReadOptions(opened.encoding, delimiter), display)
        head = next(iter(records), None)
    except Exception:  # the whole reading says what is wrong
        return None
    if head is None or not isinstance(head.value, Header):
        return None
    text = first.decode(encoding).removesuffix("\n")
    if text.startswith("\ufeff"):
        return None
    return list(head.value.names), text


def utf8_name(directory: str, index: int) -> str:
    """Where the UTF-8 copy of input ``index`` is written."""
    return os.path.join(directory, f"input-{index}.utf8.csv")


#: the lines of a file's start that tell whether SQL maps it (:func:`_mostly_mapped`), and the share of
#: them it may leave to Python: each such line is converted alone, on one core, which on a file of
#: them costs more than the reader's conversion in pieces on every core
PROBE_LINES = 10_000
MAX_PYTHON_SHARE = 0.2


def _mostly_mapped(con: duckdb.DuckDBPyConnection, converted: exp.Expression) -> bool:
    """Whether SQL maps most of the first :data:`PROBE_LINES` lines of ``converted`` (the mapping's
    query over a file's lines) itself."""
    probe = tmpl(
        "SELECT count(*) FILTER (WHERE out = {h}), count(*) FROM (SELECT out FROM ({q}) AS m LIMIT {n}) AS p",
        h=lit(HARD),
        q=converted,
        n=lit(PROBE_LINES),
    )
    try:
        row = con.execute(sql(probe)).fetchone()
    except duckdb.Error:  # not readable line for line: the reader says why
        return False
    python, seen = row if row is not None else (0, 0)
    return bool(python <= max(100, MAX_PYTHON_SHARE * seen))


def convert_in_sql(
    con: duckdb.DuckDBPyConnection,
    display: str,
    profile: Profile | None,
    settings: InputSettings,
    directory: str,
    index: int,
    lines: Callable[[str], exp.Expression],
) -> Converted | None:
    """Convert the export ``display`` read through ``profile`` (None: a canonical CSV) with DuckDB
    (see the module), into ``directory`` (named by the input's ``index``); ``lines`` is the query
    of a file's lines (:func:`checker.engines.duckdb.intake._lines`). None when the file or the
    profile is not one this module maps: the caller converts it with the project's reader. The
    stats have no SHA-256 or pin: the caller has them from its own pass over the bytes."""
    fmt = settings.format or format_for(display) or (profile.format if profile is not None else None)
    if display == STDIN or fmt not in ("csv", "tsv") or format_for(display) not in (None, "csv", "tsv"):
        return None
    try:
        declared = profile.encoding if profile is not None else None
        encoding = normalise_encoding(settings.encoding or declared or "utf-8")
    except LookupError:
        return None
    if encoding not in ("utf-8", "gb18030"):
        return None
    head = header_line(
        local_path(display), encoding, fmt, display, profile.delimiter if profile is not None else None
    )
    if head is None:
        return None
    names, text = head
    if profile is not None and profile.header_problems(names, display, 1):
        return None
    try:
        mapping = compile_mapping(profile, names, text, fmt)
    except Unsupported:
        return None
    utf8_copy = utf8_name(directory, index)
    source = utf8_lines(local_path(display), encoding, mapping.delimiter, mapping.quoting, utf8_copy)
    if source is None:
        return None
    if not _mostly_mapped(con, mapping.query(lines(source), False)):
        return None
    out = os.path.join(directory, f"input-{index}.jsonl")
    copy = tmpl(
        # one text column written as it is: no quoting, a delimiter no JSON text holds raw
        "COPY (SELECT out FROM ({q}) AS m) TO 'file' "
        "(FORMAT csv, header false, quote '', escape '', delim '\x01', nullstr '')",
        q=mapping.query(lines(source), False),
    )
    copy.set("files", [lit(out)])  # a placeholder in the file's place does not parse
    try:
        con.execute(sql(copy))
    except duckdb.Error:  # not readable line for line (bytes DuckDB refuses): the reader says why
        return None
    stats = InputStats(display, format=fmt, profile=profile.name if profile is not None else None)

    def convert_line(line: int, text: str) -> list[Call]:
        return python_line(profile, mapping, fmt, display, line, text)

    return Converted(out, source, stats, python_line=convert_line)
