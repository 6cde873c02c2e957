"""Field-mapping profiles: how one kind of platform export becomes canonical events.

A profile (YAML, ``schemas/profile.schema.json``) says where each canonical
field comes from: a column (Chinese headers such as 操作时间 included), a
JMESPath into nested JSON, a constant (the platform), or a hash of columns
(for exports without a row id); how text becomes a value (a value map such
as 取消推广 -> ``distribution.cancel_requested``, a type, timestamp formats
and the timezone of naive times); and which extra columns go under ``data``.

:func:`load_profile` validates a profile in layers (safe YAML, schema, then
semantics: timezones, formats, map targets, JMESPath), every problem at
``file:line:column``. :meth:`Profile.apply` maps one record, raising
:class:`MappingError` with a code and a reason that names the column.

Without a profile, CSV and TSV rows are read by :func:`canonical_from_flat`:
the header names canonical fields, dotted for nested ones (``subject.id``,
``data.commission_amount``).

A profile also declares what the run needs to know about its log: the timezone
of its offset-less times (the run's timezone when ``--timezone`` is not given:
:func:`run_declarations`) and the words its reports use for the subject of
``seller_id`` (:class:`SubjectWords`: a patient, a case). ``unmapped: {slug:
PREFIX}`` derives a value from free text (:func:`slug`) instead of a map entry
per value.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import operator
import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import jmespath
import orjson
from jmespath.exceptions import JMESPathError

from ..language.configfiles import read_document
from ..language.errors import CheckerError, Location, Problem
from ..language.times import DEFAULT_TIMEZONE, TimestampError, zone
from ..language.yamlsafe import Document
from .fieldtypes import (
    CONVERTERS,
    FALSE_TEXTS,
    TRUE_TEXTS,
    Conversion,
    ConversionError,
    format_problem,
    to_string,
)
from .readers import READERS, normalise_encoding

REQUIRED_FIELDS = ("event_id", "timestamp", "platform", "seller_id", "action")
_ACTION = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)+$")
_PLATFORM = re.compile(r"^[a-z][a-z0-9_-]*$")
#: what a value is when its source is empty or absent and it has no default (not JSON null)
MISSING = object()
_SOURCES = ("column", "path", "constant", "hash")
_PREFIX = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)*$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """The name :func:`unmapped: {slug: PREFIX} <ValueSpec.value>` derives from free text, or
    ``""`` when nothing of it survives.

    NFKC-normalised (full-width ``ＥＲ`` is ``ER``, the ligature ``ﬁ`` is ``fi``) and case-folded
    (``ß`` is ``ss``), then decomposed with its combining marks dropped (``é`` is ``e``); every
    run of characters other than ASCII letters and digits becomes one ``_``, and ``_`` at
    either end is dropped: ``"ER Triage"`` -> ``er_triage``, ``"Leucocytes (lab)"`` ->
    ``leucocytes_lab``, ``"分诊"`` -> ``""``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    bare = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("_", bare).strip("_")


@dataclass(frozen=True)
class SubjectWords:
    """What the reports call the subject of ``seller_id`` (default: a seller), in each language.

    A profile declares them (``subject_words: {en: {singular: patient, plural: patients}, zh:
    {singular: 患者}}``); the JSON result carries them (``subject_words``), so a report
    rendered from a saved result uses the same words.
    """

    en_singular: str = "seller"
    en_plural: str = "sellers"
    zh_singular: str = "商家"
    zh_plural: str = "商家"

    def singular(self, lang: str) -> str:
        """The word for one, in ``lang`` (``en`` or ``zh``)."""
        return self.zh_singular if lang == "zh" else self.en_singular

    def plural(self, lang: str) -> str:
        """The word for several, in ``lang`` (``en`` or ``zh``)."""
        return self.zh_plural if lang == "zh" else self.en_plural

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The words as the profile and the JSON result write them."""
        return {
            "en": {"singular": self.en_singular, "plural": self.en_plural},
            "zh": {"singular": self.zh_singular, "plural": self.zh_plural},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SubjectWords:
        """The words of a profile's or a result's ``subject_words`` (the defaults when absent);
        a Chinese plural defaults to the singular, which Chinese does not inflect."""
        if not data:
            return cls()
        en, zh = data.get("en") or {}, data.get("zh") or {}
        return cls(
            en_singular=str(en.get("singular", cls.en_singular)),
            en_plural=str(en.get("plural", cls.en_plural)),
            zh_singular=str(zh.get("singular", cls.zh_singular)),
            zh_plural=str(zh.get("plural", zh.get("singular", cls.zh_plural))),
        )


#: the words every report uses unless a profile declares others
DEFAULT_SUBJECT_WORDS = SubjectWords()


class MappingError(ValueError):
    """A record the profile cannot map; ``code`` is a stable category."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class ValueSpec:
    """Where one canonical value comes from and how it is converted."""

    target: str  # "event_id", "subject.id", "data.commission_rate"
    column: str | None = None
    path: Any = None  # a compiled JMESPath
    path_text: str = ""
    constant: Any = MISSING
    hash_columns: tuple[str, ...] = ()
    type: str = "string"
    conversion: Conversion = field(default_factory=Conversion)
    value_map: Mapping[str, Any] | None = None
    unmapped: str = "reject"  # reject | keep | constant | slug
    unmapped_value: Any = None  # the constant, or the slug's prefix
    default: Any = MISSING
    required: bool = False

    @property
    def where(self) -> str:
        """How messages name the source of the value."""
        if self.column is not None:
            return f"column {self.column}"
        if self.path is not None:
            return f"path {self.path_text}"
        if self.hash_columns:
            return f"hash of {', '.join(self.hash_columns)}"
        return f"constant for {self.target}"

    def columns(self) -> tuple[str, ...]:
        """The columns this value reads."""
        return (self.column,) if self.column is not None else self.hash_columns

    def read(self, record: Mapping[str, Any]) -> Any:
        """The raw value for this spec, ``MISSING`` when empty."""
        if self.constant is not MISSING:
            return self.constant
        if self.hash_columns:
            parts = [_text(record.get(c)) for c in self.hash_columns]
            if not any(parts):
                return MISSING
            digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
            return "h" + digest[:24]
        value = record.get(self.column) if self.column is not None else self.path.search(record)
        if value is None or (isinstance(value, str) and not value.strip()):
            return MISSING
        return value

    def value(self, record: Mapping[str, Any]) -> Any:
        """The converted value, ``MISSING`` when absent and optional; raises MappingError."""
        raw = self.read(record)
        if raw is MISSING:
            return self.absent()
        return self.convert(raw)

    def absent(self) -> Any:
        """The value when the source is empty or absent: the default, else ``MISSING`` when
        optional; raises MappingError when required."""
        if self.default is not MISSING:
            return self.default
        if self.required:
            raise MappingError("missing-field", f"{self.where} ({self.target}) is empty or absent")
        return MISSING

    def convert(self, raw: Any) -> Any:
        """The converted value of ``raw`` (as :meth:`read` returns it, not ``MISSING``): mapped
        through the value map, then converted to the type; raises MappingError."""
        value = raw
        if self.value_map is not None or self.unmapped == "slug":
            key = _text(raw)
            if self.value_map is not None and key in self.value_map:
                value = self.value_map[key]
            elif self.unmapped == "constant":
                value = self.unmapped_value
            elif self.unmapped == "slug":
                derived = slug(key)
                if not derived:
                    raise MappingError(
                        "empty-slug",
                        f"{self.where} ({self.target}): {key!r} has no ASCII letter or digit to "
                        f"derive a name from (unmapped: slug); map it in the profile's 'map'",
                    )
                value = f"{self.unmapped_value}.{derived}"
            elif self.unmapped == "reject":
                known = ", ".join(list(self.value_map or ())[:12])
                raise MappingError(
                    "unmapped-value",
                    f"{self.where} ({self.target}): {key!r} is not in the profile's map (known: {known})",
                )
        try:
            return CONVERTERS[self.type](value, self.conversion)
        except ConversionError as exc:
            code = "bad-timestamp" if self.type == "timestamp" else "bad-value"
            raise MappingError(code, f"{self.where} ({self.target}): {exc}") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.strip() if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Profile:
    """A validated field-mapping profile."""

    name: str
    file: str
    sha256: str
    values: tuple[ValueSpec, ...]
    description: str = ""
    match: tuple[str, ...] = ()
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    timezone: str | None = None
    unmapped_columns: str = "ignore"
    subject_words: SubjectWords | None = None
    # where the profile declares its timezone and subject words, for errors about them
    timezone_at: Location | None = None
    subject_words_at: Location | None = None
    # how :meth:`apply` reads each value (:func:`_step`) and the columns the values read, worked
    # out once rather than per record
    _plan: tuple[_Step, ...] = field(init=False, repr=False, compare=False)
    _used: frozenset[str] = field(init=False, repr=False, compare=False)
    # the cells of the columns whose empty cell is skipped (:meth:`_steps`), and the steps left
    # for each pattern of exactly-empty cells seen so far
    _skippable: Callable[[Mapping[str, Any]], Any] | None = field(init=False, repr=False, compare=False)
    _shapes: dict[tuple[bool, ...], tuple[_Step, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a frozen dataclass: set the derived fields as its own __init__ does
        plan = tuple(_step(v) for v in self.values)
        object.__setattr__(self, "_plan", plan)
        object.__setattr__(self, "_used", self.columns())
        skippable = [column for _, column, skip_empty, *_ in plan if column is not None and skip_empty]
        # itemgetter of one key returns the value, not a 1-tuple: one column is not worth it
        getter = operator.itemgetter(*skippable) if len(skippable) > 1 else None
        object.__setattr__(self, "_skippable", getter)
        object.__setattr__(self, "_shapes", {})

    def matches(self, display: str) -> bool:
        """Whether the input named ``display`` is one this profile says it reads."""
        base = os.path.basename(display)
        return any(fnmatch.fnmatch(base, p) or fnmatch.fnmatch(display, p) for p in self.match)

    def columns(self) -> frozenset[str]:
        """Every column a value reads."""
        return frozenset(c for v in self.values for c in v.columns())

    def header_problems(self, header: list[str], file: str, line: int) -> list[Problem]:
        """Columns the profile needs that the header lacks (a column with a default may be absent)."""
        present = set(header)
        missing = sorted({c for v in self.values if v.default is MISSING for c in v.columns()} - present)
        if not missing:
            return []
        shown = ", ".join(h for h in header if h) or "nothing"
        return [
            Problem(
                Location(file, line, 1),
                "profile-mismatch",
                f"the header lacks the column(s) {', '.join(missing)} that profile "
                f"{self.name} ({self.file}) reads; the header has: {shown}",
            )
        ]

    def apply(self, record: Any) -> dict[str, Any]:
        """The canonical event for one record; raises :class:`MappingError`.

        Does what calling :meth:`ValueSpec.value` for each value in turn and putting what it
        returns at its target does, in that order (the first problem is the one raised), but
        reads a column itself: an export has far more columns than a record fills, and an empty
        cell of an optional column without a default is skipped without a call.
        """
        if not isinstance(record, dict):
            raise MappingError("invalid-event", f"a JSON {type(record).__name__} is not a record")
        out: dict[str, Any] = {}
        for spec, column, skip_empty, plain_text, head, rest in self._steps(record):
            if column is None:
                value = spec.value(record)
            else:
                raw = record.get(column)
                # the test ValueSpec.read makes for an empty or absent value, text first: most are
                text = raw.strip() if isinstance(raw, str) else None
                if text == "" or raw is None:
                    if skip_empty:
                        continue
                    value = spec.absent()
                elif plain_text and text is not None:
                    value = text  # what convert does with text for a plain string
                else:
                    value = spec.convert(raw)
            if value is MISSING:
                continue
            if rest:
                out.setdefault(head, {})[rest] = value
            else:
                out[head] = value
        subject = out.get("subject")
        if subject is not None and "id" not in subject:
            del out["subject"]  # a type alone (often a constant) names nothing: no subject
        elif subject is not None and "type" not in subject:
            raise MappingError("missing-field", "the subject has an id but no type")
        if self.unmapped_columns == "data":
            used = self._used
            for key, value in record.items():
                if key and key not in used and _text(value):
                    out.setdefault("data", {}).setdefault(key, value)
        return out

    def _steps(self, record: Mapping[str, Any]) -> tuple[_Step, ...]:
        """The steps of :meth:`apply` for ``record``, less those that would skip an exactly empty
        cell: an export's row fills a few of its many columns, and which ones follows the kind of
        row, so the steps left are worked out once per pattern of empty cells (in C, by
        ``itemgetter`` and ``map``) rather than skipped one at a time in Python."""
        getter = self._skippable
        if getter is None:
            return self._plan
        try:
            cells = getter(record)
        except KeyError:  # a column absent from the record (a default's, or a JSON record's)
            return self._plan
        shape = tuple(map(_EMPTY, cells))
        steps = self._shapes.get(shape)
        if steps is None:
            empty = iter(shape)
            steps = tuple(
                step for step in self._plan if not (step[1] is not None and step[2] and next(empty))
            )
            if len(self._shapes) < _MAX_SHAPES:
                self._shapes[shape] = steps
        return steps


#: whether a cell is exactly the empty text (a step reading it skips it); None, blanks and
#: values that are not text are left to the step's own test
_EMPTY = functools.partial(operator.eq, "")
#: patterns of empty cells remembered per profile: an export has a few kinds of row; a file
#: made to have more costs no more memory than this
_MAX_SHAPES = 4096


#: one value of :meth:`Profile.apply`: the spec; the column it reads when it reads one (else
#: None: :meth:`ValueSpec.value` reads it); whether an empty cell is skipped (no default, not
#: required); whether it is a plain string (no map: text is only stripped, ``to_string``); and
#: its target split at the first dot (``subject.id`` -> ``subject``, ``id``)
_Step = tuple[ValueSpec, str | None, bool, bool, str, str]


def _step(spec: ValueSpec) -> _Step:
    # ValueSpec.read takes a constant, then a hash, before a column
    reads_column = spec.constant is MISSING and not spec.hash_columns and spec.column is not None
    skip_empty = spec.default is MISSING and not spec.required
    plain_text = (
        spec.type == "string"
        and CONVERTERS["string"] is to_string
        and spec.value_map is None
        and spec.unmapped != "slug"
    )
    head, _, rest = spec.target.partition(".")
    return spec, spec.column if reads_column else None, skip_empty, plain_text, head, rest


# --- loading -------------------------------------------------------------------------------


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Load and validate a profile; raises :class:`CheckerError` with every problem found."""
    doc, sha, problems = read_document(path, "profile", "profile")
    if doc is None:
        raise CheckerError(problems)
    profile, problems = build_profile(doc, sha)
    if profile is None:
        raise CheckerError(problems)
    return profile


def build_profile(doc: Document, sha256: str = "") -> tuple[Profile | None, list[Problem]]:
    """A :class:`Profile` from a schema-valid document, or the semantic problems found."""
    data = doc.data
    problems: list[Problem] = []
    tz_name = data.get("timezone")
    tz = _zone(doc, ("timezone",), tz_name, problems) if tz_name else None
    input_ = data.get("input") or {}
    encoding = input_.get("encoding")
    if encoding:
        try:
            encoding = normalise_encoding(encoding)
        except LookupError:
            problems.append(
                Problem(
                    doc.location(("input", "encoding")),
                    "profile",
                    f"unknown encoding {encoding!r} (try utf-8 or gb18030)",
                )
            )
    fmt = input_.get("format")
    if fmt and fmt not in READERS:
        problems.append(Problem(doc.location(("input", "format")), "profile", f"unknown format {fmt!r}"))
    values = []
    for name, spec in data["fields"].items():
        values.append(_value(doc, ("fields", name), name, spec, tz, problems))
    for name, spec in (data.get("data") or {}).items():
        values.append(_value(doc, ("data", name), f"data.{name}", spec, tz, problems))
    if problems:
        return None, sorted(problems)
    return Profile(
        name=data["profile"],
        file=doc.file,
        sha256=sha256,
        values=tuple(values),
        description=data.get("description", ""),
        match=tuple(data.get("match") or ()),
        format=fmt,
        encoding=encoding,
        delimiter=input_.get("delimiter"),
        timezone=tz_name,
        unmapped_columns=data.get("unmapped_columns", "ignore"),
        subject_words=SubjectWords.from_dict(data["subject_words"]) if "subject_words" in data else None,
        timezone_at=doc.location(("timezone",), key=True) if tz_name else None,
        subject_words_at=doc.location(("subject_words",), key=True) if "subject_words" in data else None,
    ), []


def _zone(doc: Document, path: tuple[str, ...], name: str, problems: list[Problem]) -> ZoneInfo | None:
    try:
        return zone(name)
    except TimestampError as exc:
        problems.append(Problem(doc.location(path), "profile", str(exc)))
        return None


def _value(
    doc: Document,
    path: tuple[str, ...],
    target: str,
    spec: Any,
    profile_tz: ZoneInfo | None,
    problems: list[Problem],
) -> ValueSpec:
    if isinstance(spec, str):
        spec = {"column": spec}
    loc = doc.location
    sources = [k for k in _SOURCES if k in spec]
    if len(sources) != 1:
        problems.append(
            Problem(
                loc(path),
                "profile",
                (
                    f"{target}: give exactly one of {', '.join(_SOURCES)}; found {', '.join(sources)}"
                    if sources
                    else f"{target}: needs one of the keys {', '.join(_SOURCES)}"
                ),
            )
        )
    default_type = "timestamp" if target == "timestamp" else "any" if target.startswith("data.") else "string"
    kind = spec.get("type", default_type)
    tz = profile_tz
    if "timezone" in spec:
        tz = _zone(doc, (*path, "timezone"), spec["timezone"], problems)
    raw_formats = spec.get("format", "auto")
    formats = (raw_formats,) if isinstance(raw_formats, str) else tuple(raw_formats)
    if "format" in spec and kind != "timestamp":
        problems.append(
            Problem(
                loc((*path, "format")),
                "profile",
                f"{target}: 'format' applies to timestamps; add 'type: timestamp'",
            )
        )
    for i, fmt in enumerate(formats):
        problem = format_problem(fmt)
        if problem:
            where: tuple[str | int, ...] = (
                (*path, "format") if isinstance(raw_formats, str) else (*path, "format", i)
            )
            problems.append(Problem(loc(where), "profile", f"{target}: {problem}"))
    required = spec.get("required", target in REQUIRED_FIELDS)
    if target in REQUIRED_FIELDS and not required:
        problems.append(
            Problem(
                loc((*path, "required")),
                "profile",
                f"{target} is required in every event; it cannot be optional",
            )
        )
    compiled = None
    if "path" in spec:
        try:
            compiled = jmespath.compile(spec["path"])
        except JMESPathError as exc:
            problems.append(Problem(loc((*path, "path")), "jmespath", f"invalid JMESPath: {exc}"))
    value_map = spec.get("map")
    if value_map is not None:
        for key, mapped in value_map.items():
            problem = _target_problem(target, mapped)
            if problem:
                problems.append(Problem(loc((*path, "map", key)), "profile", problem))
    if "constant" in spec:
        problem = _target_problem(target, spec["constant"])
        if problem:
            problems.append(Problem(loc((*path, "constant")), "profile", problem))
    unmapped: str | dict[str, Any] = spec.get("unmapped", "reject")
    unmapped_value = None
    if isinstance(unmapped, dict) and "slug" in unmapped:
        unmapped_value = unmapped["slug"]
        unmapped = "slug"
        if not _PREFIX.match(unmapped_value):
            problems.append(
                Problem(
                    loc((*path, "unmapped", "slug")),
                    "profile",
                    f"{target}: slug prefix {unmapped_value!r} must be dotted lower case "
                    "(letters, digits, _), like hospital or service_desk.ticket",
                )
            )
    elif isinstance(unmapped, dict):
        unmapped_value = unmapped["constant"]
        unmapped = "constant"
        problem = _target_problem(target, unmapped_value)
        if problem:
            problems.append(Problem(loc((*path, "unmapped", "constant")), "profile", problem))
    conversion = Conversion(
        formats=formats,
        tz=tz,
        truths=frozenset(t.lower() for t in spec.get("true", TRUE_TEXTS)),
        falsehoods=frozenset(t.lower() for t in spec.get("false", FALSE_TEXTS)),
    )
    return ValueSpec(
        target=target,
        column=spec.get("column"),
        path=compiled,
        path_text=spec.get("path", ""),
        constant=spec.get("constant", MISSING),
        hash_columns=tuple(spec.get("hash", ())),
        type=kind,
        conversion=conversion,
        value_map=value_map,
        unmapped=unmapped,
        unmapped_value=unmapped_value,
        default=spec.get("default", MISSING),
        required=required,
    )


def _target_problem(target: str, value: Any) -> str | None:
    """Why ``value`` cannot be the canonical ``target`` (a bad action or platform name)."""
    if target == "action" and not (isinstance(value, str) and _ACTION.match(value)):
        return f"{value!r} is not an action (dotted lower case, like distribution.cancel_requested)"
    if target == "platform" and not (isinstance(value, str) and _PLATFORM.match(value)):
        return f"{value!r} is not a platform name (lower case, like kuaishou)"
    return None


@dataclass(frozen=True)
class RunDeclarations:
    """What a run takes from its profiles: its timezone and its subject words."""

    timezone: str
    subject_words: SubjectWords | None = None


def run_declarations(
    profiles: Sequence[Profile], timezone: str | None = None, default_timezone: str = DEFAULT_TIMEZONE
) -> RunDeclarations:
    """The run's timezone and subject words, given the profiles it reads with.

    The timezone is ``timezone`` when one is asked for (``--timezone``, ``timezone=``), else the
    one every profile that declares a timezone declares, else ``default_timezone``. The subject
    words are those every profile that declares some declares, else None (the defaults).
    Profiles that declare different ones raise :class:`CheckerError` at each declaration: the
    run cannot show one log's times in two zones, nor its subjects under two names (give
    ``--timezone``, or the same words in each profile).
    """
    problems: list[Problem] = []
    zones = {p.timezone for p in profiles if p.timezone}
    if timezone is None and len(zones) > 1:
        problems += [
            Problem(
                p.timezone_at or Location(p.file),
                "timezone-conflict",
                f"profile {p.name} declares timezone {p.timezone}, another profile of this run "
                f"declares {', '.join(sorted(zones - {p.timezone}))}; give --timezone (timezone= "
                "in Python) to say which the run's times are shown in",
            )
            for p in profiles
            if p.timezone
        ]
    words = {p.subject_words for p in profiles if p.subject_words is not None}
    if len(words) > 1:
        problems += [
            Problem(
                p.subject_words_at or Location(p.file),
                "subject-words-conflict",
                f"profile {p.name} calls the subject {p.subject_words.en_singular!r}, another "
                "profile of this run uses other words; declare the same subject_words in each "
                "profile of one run, or in one of them",
            )
            for p in profiles
            if p.subject_words is not None
        ]
    if problems:
        raise CheckerError(sorted(problems))
    chosen = timezone or (next(iter(zones)) if zones else default_timezone)
    return RunDeclarations(chosen, next(iter(words)) if words else None)


def for_timezone(profile: Profile, run_timezone: str) -> Profile:
    """``profile`` reading naive timestamps in ``run_timezone`` where it declares no zone."""
    tz = zone(run_timezone)
    values = tuple(
        replace(v, conversion=replace(v.conversion, tz=tz)) if v.conversion.tz is None else v
        for v in profile.values
    )
    return replace(profile, values=values)


# --- no profile: the canonical CSV ----------------------------------------------------------

#: the canonical CSV's columns read as text whatever they hold (identity fields)
STRING_FIELDS = frozenset(
    {"event_id", "platform", "seller_id", "action", "actor", "subject.type", "subject.id"}
)
_JSON_LITERAL = re.compile(r"^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[\[{].*)$", re.S)


def canonical_from_flat(row: Mapping[str, str]) -> dict[str, Any]:
    """A canonical event from a CSV row whose header names its fields.

    Dotted headers nest (``subject.type``, ``data.borne_by``). Empty cells
    are absent. Identity fields stay text; an all-digit timestamp is epoch
    seconds or milliseconds; any other cell that is a JSON number, boolean,
    null, array or object is read as that value, else it stays text.
    """
    out: dict[str, Any] = {}
    for key, cell in row.items():
        if not cell:  # most cells of a wide export are empty
            continue
        text = cell.strip()
        if not text or not key:
            continue
        kind, parents, leaf = _COLUMNS.get(key) or _column(key)
        value: Any = text
        if kind == _TIMESTAMP:
            if _EPOCH_NUMBER.fullmatch(text):
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:  # 007, other digits than ASCII: text, as the intake judges it
                    value = text
        elif kind == _LITERAL and _JSON_LITERAL.match(text):
            if _SHORT_NUMBER.fullmatch(text):
                value = orjson.loads(text)  # most literal cells: the json module's value, 10x sooner
            else:
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    value = text
        node = out
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise MappingError("bad-row", f"column {key} nests under {part}, which is a value")
            node = child
        node[leaf] = value
    return out


_EPOCH_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: a number both JSON parsers read as the same value: an integer of 64 bits at most (orjson reads
#: a longer one as a float, json as an int), or a decimal of 15 digits at most (which every
#: parser converts to the one nearest double), without an exponent (orjson refuses 1e400, which
#: json reads as infinity)
_SHORT_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,17})|(?=-?[\d.]{3,16}$)-?(?:0|[1-9]\d*)\.\d+")
# how canonical_from_flat reads a column: a timestamp, text, or text that may be a JSON literal
_TIMESTAMP, _TEXT, _LITERAL = "timestamp", "text", "literal"
#: each column header seen, as (how its cells are read, the fields it nests under, its field):
#: worked out once per header rather than once per cell
_COLUMNS: dict[str, tuple[str, tuple[str, ...], str]] = {}


def _column(key: str) -> tuple[str, tuple[str, ...], str]:
    kind = _TIMESTAMP if key == "timestamp" else _TEXT if key in STRING_FIELDS else _LITERAL
    *parents, leaf = key.split(".")
    if len(_COLUMNS) < 4096:  # headers are few; a bound all the same (a caller's own keys)
        _COLUMNS[key] = (kind, tuple(parents), leaf)
    return kind, tuple(parents), leaf
