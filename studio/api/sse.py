"""An incremental Server-Sent Events parser (WHATWG "event stream interpretation")."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Event", "SSEParser", "iter_events"]

# A line ends in "\r\n", "\n" or a lone "\r".
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Event:
    """One dispatched event.

    `id` is the stream's last event id at dispatch time (it persists across events, as the spec
    says; None until an `id` field is seen). `retry` is the reconnection time in milliseconds set
    by a valid `retry` field in this event's block, else None (the latest value for the whole
    stream is `SSEParser.retry`).
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Feed it chunks (bytes or str, split anywhere); it returns the events each chunk completes.

    Bytes are decoded as UTF-8 incrementally (invalid sequences become U+FFFD); one leading BOM
    is stripped. Whatever has not been ended by a blank line when the stream stops is discarded.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._started = False  # seen the first character (BOM check done)
        self._buffer = ""  # an unfinished line
        self._skip_lf = False  # the previous chunk ended in "\r": a leading "\n" belongs to it
        self._data: list[str] = []
        self._has_data = False
        self._event_type = ""
        self._block_retry: int | None = None
        self._id_buffer: str | None = None
        self.last_event_id: str | None = None
        self.retry: int | None = None

    def feed(self, chunk: bytes | str) -> list[Event]:
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes | bytearray) else chunk
        if not text:
            return []
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
                if not text:
                    return []
        if self._skip_lf:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
                if not text:
                    return []
        pieces = _LINE_END.split(self._buffer + text)
        # The last piece is not terminated yet; keep it for the next chunk.
        self._buffer = pieces.pop()
        if text.endswith("\r"):
            self._skip_lf = True
        events: list[Event] = []
        for line in pieces:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alive
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event_type = value
        elif name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry" and value and value.isascii() and value.isdigit():
            self.retry = int(value)
            self._block_retry = self.retry
        # any other field is ignored
        return None

    def _dispatch(self) -> Event | None:
        # The id takes effect at the blank line, even for a block without data (spec step 1).
        self.last_event_id = self._id_buffer
        has_data, data, event_type, retry = self._has_data, self._data, self._event_type, self._block_retry
        self._data, self._has_data, self._event_type, self._block_retry = [], False, "", None
        if not has_data:
            return None
        return Event(event=event_type or "message", data="\n".join(data), id=self.last_event_id, retry=retry)


def iter_events(chunks: Iterable[bytes | str]) -> Iterator[Event]:
    """Events from an iterable of chunks; an incomplete event at the end is discarded."""
    parser = SSEParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
