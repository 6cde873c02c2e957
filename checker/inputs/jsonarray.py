"""Split a JSON array into its elements' texts while reading it, never holding it whole.

``json.load`` needs the whole document, and one bad element makes it fail
whole. Exports that are one big JSON array are common, so this splitter
scans the text chunk by chunk, tracking only strings and bracket depth, and
yields each top-level element's text with the line it starts on. Each element
is then parsed on its own: a malformed element is rejected alone and the rest
of the array is still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_STRUCTURAL = re.compile(r'["\[\]{},]')
_IN_STRING = re.compile(r'["\\]')
_NOT_SPACE = re.compile(r"\S")
_NOT_SEPARATOR = re.compile(r"[^\s,]")
_COMPACT_AT = 1 << 16


@dataclass(frozen=True, slots=True)
class Element:
    """One top-level element: the line it starts on and its text.

    ``problem`` is set when the element could not be delimited (the input
    ended inside it, or text follows the closing bracket); its text is then
    whatever was left.
    """

    line: int
    text: str
    problem: str = ""


class NotAnArray(ValueError):
    """The document does not start with ``[``."""


def split_array(chunks: Iterable[str]) -> Iterator[Element]:
    """The elements of the JSON array whose text arrives in ``chunks``, in order.

    Raises :class:`NotAnArray` before yielding anything when the first
    non-blank character is not ``[``. An empty document has no elements.
    """
    return _Scanner(iter(chunks)).elements()


class _Scanner:
    """The text seen so far and the position of the current element in it."""

    def __init__(self, source: Iterator[str]) -> None:
        self.source = source
        self.buf = ""
        self.at = 0  # where the unread part of ``buf`` starts
        self.line = 1  # the line number at ``buf[at]``

    def more(self) -> bool:
        for chunk in self.source:
            if chunk:
                self.buf += chunk
                return True
        return False

    def find(self, pattern: re.Pattern[str], pos: int) -> re.Match[str] | None:
        """The first match of ``pattern`` at or after ``pos``, reading more text as needed."""
        while True:
            m = pattern.search(self.buf, pos)
            if m:
                return m
            pos = len(self.buf)
            if not self.more():
                return None

    def advance(self, to: int) -> None:
        """Consume the text up to ``to``, keeping the line count, and compact the buffer."""
        self.line += self.buf.count("\n", self.at, to)
        self.at = to
        if self.at > _COMPACT_AT and self.at * 2 > len(self.buf):
            self.buf = self.buf[self.at :]
            self.at = 0

    def elements(self) -> Iterator[Element]:
        m = self.find(_NOT_SPACE, self.at)
        if m is None:
            return
        if m.group() != "[":
            raise NotAnArray("the document does not start with '['")
        self.advance(m.end())
        while True:
            m = self.find(_NOT_SEPARATOR, self.at)
            if m is None:
                self.advance(len(self.buf))
                yield Element(self.line, "", "the input ends before the array's closing ']'")
                return
            self.advance(m.start())
            if m.group() == "]":
                self.advance(m.end())
                yield from self.trailing()
                return
            end = self.element_end(self.at)
            if end is None:
                yield Element(
                    self.line,
                    self.buf[self.at :].strip(),
                    "the input ends inside this element (a missing closing bracket or quote)",
                )
                return
            yield Element(self.line, self.buf[self.at : end].strip())
            self.advance(end)

    def element_end(self, pos: int) -> int | None:
        """Where the element starting at ``pos`` ends (exclusive), or None at end of input."""
        start, depth = pos, 0
        while True:
            m = self.find(_STRUCTURAL, pos)
            if m is None:
                return None
            char, pos = m.group(), m.end()
            if char == '"':
                end = self.string_end(pos)
                if end is None:
                    return None
                pos = end
            elif char in "[{":
                depth += 1
            elif char in "]}":
                if depth == 0:
                    # the array's closing bracket ends a scalar; a stray '}' is an element of its own
                    return m.start() if m.start() > start else m.end()
                depth -= 1
                if depth == 0:
                    return pos
            elif depth == 0:  # a comma between elements
                return m.start()

    def string_end(self, pos: int) -> int | None:
        """The position just after the closing quote of the string whose body starts at ``pos``."""
        while True:
            m = self.find(_IN_STRING, pos)
            if m is None:
                return None
            if m.group() == '"':
                return m.end()
            pos = m.end() + 1  # a backslash escapes the next character
            while pos > len(self.buf):
                if not self.more():
                    return None

    def trailing(self) -> Iterator[Element]:
        m = self.find(_NOT_SPACE, self.at)
        if m is None:
            return
        self.advance(m.start())
        while self.more():
            pass
        yield Element(self.line, self.buf[self.at :].strip(), "text after the array's closing ']'")
