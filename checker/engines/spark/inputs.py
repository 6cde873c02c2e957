"""Inputs named by URI (``s3a://``, ``hdfs://``, ``abfss://``...), fetched through Spark.

A Spark check takes, beside local paths, the URIs of any file system the session's Hadoop
configuration reads, with its credentials: ``spark.hadoop.*`` settings of the session the checker
starts, a ``core-site.xml`` under ``HADOOP_CONF_DIR``, or, on a session the caller has, its own
settings (``spark.conf.set("fs.s3a.endpoint", ...)``). A URI names a file, a directory (every file
below it of a known format, none under a hidden name, as for a local directory) or a pattern
(Hadoop's glob: ``*``, ``?``, ``[ab]``, ``{a,b}``; files only).

The intake stays the driver's (the DuckDB engine's, with its line numbers, profiles and
accounting): each file is copied to a local directory by Spark's Hadoop file system (through the
JVM of a classic session; through a ``binaryFile`` read on Spark Connect, whose client has no JVM)
and read from the copy (:func:`checker.inputs.files.fetched_copies`), while the run names it by
its URI everywhere: results, rejected records, evidence, errors. A file that changes while it is
copied (its length or modification time) is an ``input-changed`` error. The copies stay as long as
the check's result (:class:`~.engine.SparkRun`), whose findings read evidence lines from them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ...inputs.files import STDIN, directory_member, file_uri_path, is_uri
from ...language.errors import CheckerError, Location, Problem
from .session import is_connect, spark_cause, spark_error

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_GLOB_CHARS = frozenset("*?[{")


@dataclass
class Fetched:
    """The inputs of a check with every URI fetched: ``paths`` as the intake takes them (a URI of
    a directory or a pattern replaced by its files' URIs), and each file URI's local copy."""

    paths: list[str]
    copies: dict[str, str] = field(default_factory=dict)
    directory: str | None = None

    def remove(self) -> None:
        """Remove the local copies."""
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


@dataclass(frozen=True)
class _Remote:
    uri: str  # as the run names it: the file system's own spelling of the file's path
    length: int
    modified: int


def fetch_inputs(spark: SparkSession, paths: Sequence[str | os.PathLike[str]]) -> Fetched:
    """The inputs ``paths`` with each URI listed and copied through ``spark`` (see the module's
    docstring); ``file://`` URIs become local paths (nothing to copy). Raises
    :class:`CheckerError` naming each URI that names nothing, or that Spark could not read."""
    out: list[str] = []
    remote: dict[str, _Remote] = {}
    problems: list[Problem] = []
    for item in paths:
        raw = os.fspath(item)
        if raw == STDIN or not is_uri(raw):
            out.append(raw)
            continue
        local = file_uri_path(raw)
        if local is not None:  # this machine's file: read where it is
            out.append(local)
            continue
        try:
            found, problem = _list(spark, raw)
        except Exception as exc:
            if not spark_error(exc):
                raise
            found, problem = [], _problem(raw, "listing", exc)
        if problem is not None:
            problems.append(problem)
        for f in found:
            remote.setdefault(f.uri, f)
            out.append(f.uri)
    if problems:
        raise CheckerError(problems)
    fetched = Fetched(out)
    if not remote:
        return fetched
    exchange = os.environ.get("CHECKER_SPARK_EXCHANGE") or None
    fetched.directory = tempfile.mkdtemp(prefix="checker-spark-inputs-", dir=exchange)
    try:
        for k, f in enumerate(sorted(remote.values(), key=lambda r: r.uri)):
            # one directory per file keeps its own name: profiles and formats go by the name
            local = os.path.join(fetched.directory, f"{k:06d}", _basename(f.uri))
            os.makedirs(os.path.dirname(local))
            try:
                _copy(spark, f, local)
            except Exception as exc:
                if not spark_error(exc):
                    raise
                raise CheckerError([_problem(f.uri, "copying", exc)]) from exc
            fetched.copies[f.uri] = local
    except BaseException:
        fetched.remove()
        raise
    return fetched


def _basename(uri: str) -> str:
    return unquote(urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1]) or "input"


def _problem(uri: str, doing: str, exc: Exception) -> Problem:
    cause = spark_cause(exc)
    message = (
        f"Spark's file system failed {doing} the input: {cause[:400]}; check the URI, and that the "
        "session's Hadoop settings give its file system and credentials"
    )
    if "ClassNotFoundException" in cause:
        message += (
            " (the file system's jars are not on Spark's class path: for s3a://, "
            "--spark-conf spark.jars.packages=org.apache.hadoop:hadoop-aws:<Spark's Hadoop version>)"
        )
    return Problem(Location(uri), "unreadable-file", message)


def _known(relative: str) -> bool:
    """Whether a file found under a directory input, at the relative URI path ``relative``, is
    read (as for a local directory)."""
    return directory_member([p for p in relative.split("/") if p])


def _list(spark: SparkSession, raw: str) -> tuple[list[_Remote], Problem | None]:
    """The files the URI ``raw`` names, or the problem that it names none."""
    if is_connect(spark):
        return _list_connect(spark, raw)
    jvm, conf = _hadoop(spark)
    path = jvm.org.apache.hadoop.fs.Path(raw)
    fs = path.getFileSystem(conf)
    if _GLOB_CHARS & set(raw.split("://", 1)[1]):
        statuses = [s for s in (fs.globStatus(path) or []) if s.isFile()]
        if not statuses:
            return [], Problem(Location(raw), "no-input", "the pattern matches no file")
        return [_remote(s) for s in statuses], None
    if not fs.exists(path):
        return [], Problem(Location(raw), "no-input", "no such input file")
    status = fs.getFileStatus(path)
    if status.isFile():
        return [_remote(status)], None
    root = status.getPath().toUri().getPath().rstrip("/") + "/"
    found = []
    files = fs.listFiles(status.getPath(), True)
    while files.hasNext():
        s = files.next()
        if _known(s.getPath().toUri().getPath()[len(root) :]):
            found.append(_remote(s))
    if not found:
        return [], Problem(Location(raw), "no-input", "the directory holds no file of a known format")
    return found, None


def _hadoop(spark: SparkSession) -> tuple[Any, Any]:
    """The JVM and the session's Hadoop configuration (the context's, with the session's own
    settings over it: ``spark.conf.set("fs.s3a.endpoint", ...)`` reaches it, as for Spark's
    readers)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    return jvm, spark._jsparkSession.sessionState().newHadoopConf()


def _remote(status: Any) -> _Remote:
    return _Remote(status.getPath().toString(), int(status.getLen()), int(status.getModificationTime()))


def _copy(spark: SparkSession, f: _Remote, local: str) -> None:
    """Copy the file ``f`` to ``local``; raises ``input-changed`` when it changed meanwhile."""
    if is_connect(spark):
        now = _copy_connect(spark, f, local)
    else:
        jvm, conf = _hadoop(spark)
        path = jvm.org.apache.hadoop.fs.Path(f.uri)
        fs = path.getFileSystem(conf)
        # the raw local file system: no checksum file beside the copy
        fs.copyToLocalFile(False, path, jvm.org.apache.hadoop.fs.Path(f"file://{local}"), True)
        now = _remote(fs.getFileStatus(path))
    size = os.path.getsize(local)
    if (now.length, now.modified) != (f.length, f.modified) or size != f.length:
        message = (
            f"the input changed while it was fetched: it was {f.length} bytes, modified at "
            f"{f.modified} ms, and is now {now.length} bytes, modified at {now.modified} ms "
            f"({size} bytes copied); check a copy that nothing writes to while the check runs"
        )
        raise CheckerError([Problem(Location(f.uri), "input-changed", message)])


# --- Spark Connect: no JVM on the client, so the listing and the bytes come as rows -------------


def _list_connect(spark: SparkSession, raw: str) -> tuple[list[_Remote], Problem | None]:
    """:func:`_list` through a ``binaryFile`` read (Spark's readers skip names starting with ``.``
    or ``_``; a pattern's matches are files)."""
    try:
        frame = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(raw)
        rows = frame.select("path", "length", "modificationTime").collect()
    except Exception as exc:
        if spark_error(exc) and "PATH_NOT_FOUND" in str(exc):
            return [], Problem(Location(raw), "no-input", "no such input file")
        raise
    single = len(rows) == 1 and rows[0]["path"].rstrip("/") == raw.rstrip("/")
    root = urlsplit(raw).path.rstrip("/") + "/"
    found = [
        _Remote(r["path"], int(r["length"]), int(r["modificationTime"].timestamp() * 1000))
        for r in rows
        if single or _GLOB_CHARS & set(raw) or _known(urlsplit(r["path"]).path[len(root) :])
    ]
    if not found:
        return [], Problem(Location(raw), "no-input", "the URI names no file of a known format")
    return found, None


def _copy_connect(spark: SparkSession, f: _Remote, local: str) -> _Remote:
    row = spark.read.format("binaryFile").load(f.uri).select("length", "modificationTime", "content").first()
    if row is None:
        gone = Problem(Location(f.uri), "input-changed", "the input is gone since it was listed")
        raise CheckerError([gone])
    with open(local, "wb") as fh:
        fh.write(row["content"])
    return _Remote(f.uri, int(row["length"]), int(row["modificationTime"].timestamp() * 1000))
