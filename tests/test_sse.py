"""The SSE parser: any split, every line ending, the WHATWG field rules."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from studio.api.sse import Event, SSEParser, iter_events

JOB_QUEUED = {"job_id": "job_1", "status": "queued", "model": "sora-2", "created_at": "2026-02-13T10:00:00Z"}
JOB_DONE = {
    **JOB_QUEUED,
    "status": "completed",
    "output": {"url": "http://127.0.0.1/o/job_1.mp4", "media_type": "video/mp4"},
    "note": "caf\u00e9 \u2603 \U0001f3ac",  # multi-byte UTF-8 to split inside
}

SAMPLE = (
    "\ufeff: hello, a comment first\n"
    "\n"
    "event: status\n"
    f"data: {json.dumps(JOB_QUEUED)}\n"
    "\n"
    ": keep-alive\r\n"
    "retry: 1500\r\n"
    "event: status\r\n"
    f"data: {json.dumps(JOB_DONE, ensure_ascii=False)}\r\n"
    "\r\n"
    "data: first line\r"
    "data:second line\r"
    "data:  two spaces kept one\r"
    "id: 42\r"
    "\r"
    "event: tick\n"
    "unknown: ignored\n"
    "\n"
    "data\n"
    "\n"
    "data: incomplete tail"
).encode()

EXPECTED = [
    Event("status", json.dumps(JOB_QUEUED)),
    Event("status", json.dumps(JOB_DONE, ensure_ascii=False), retry=1500),
    Event("message", "first line\nsecond line\n two spaces kept one", id="42"),
    Event("message", "", id="42"),
]


def parse_all(chunks) -> list[Event]:
    return list(iter_events(chunks))


def test_the_sample_stream_parses_to_the_expected_events():
    events = parse_all([SAMPLE])
    assert events == EXPECTED
    assert json.loads(events[1].data)["status"] == "completed"


def test_a_split_at_every_byte_offset_gives_the_same_events():
    for cut in range(len(SAMPLE) + 1):
        assert parse_all([SAMPLE[:cut], SAMPLE[cut:]]) == EXPECTED, cut


def test_two_splits_at_every_pair_of_offsets_near_crlf_and_multibyte_chars():
    interesting = [i for i in range(len(SAMPLE)) if SAMPLE[i] in b"\r\n" or SAMPLE[i] >= 0x80]
    for a in interesting:
        for b in (a + 1, a + 2, a + 3):
            assert parse_all([SAMPLE[:a], SAMPLE[a:b], SAMPLE[b:]]) == EXPECTED, (a, b)


def test_feeding_one_byte_at_a_time_gives_the_same_events():
    assert parse_all(SAMPLE[i : i + 1] for i in range(len(SAMPLE))) == EXPECTED


def test_str_chunks_work_like_bytes():
    text = SAMPLE.decode()
    assert parse_all([text]) == EXPECTED
    assert parse_all(text[i : i + 1] for i in range(len(text))) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(SAMPLE)), max_size=12))
def test_any_random_split_gives_the_same_events(cuts):
    bounds = [0, *sorted(cuts), len(SAMPLE)]
    chunks = [SAMPLE[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert parse_all(chunks) == EXPECTED


def test_crlf_split_between_cr_and_lf_is_one_line_end_not_two():
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    # If the "\n" were a second line end, this would dispatch here.
    assert parser.feed(b"\n") == []
    assert parser.feed(b"\r") == [Event("message", "a")]
    assert parser.feed(b"\n") == []  # the LF of that CRLF, not another blank line


def test_lone_cr_line_endings():
    assert parse_all([b"event: status\rdata: x\r\r"]) == [Event("status", "x")]


def test_lone_cr_then_blank_line_across_chunks():
    assert parse_all([b"data: x\r", b"\r"]) == [Event("message", "x")]
    assert parse_all([b"data: x\r", b"\n", b"\r\n"]) == [Event("message", "x")]


def test_bom_is_stripped_once_only():
    assert parse_all([b"\xef\xbb\xbfdata: a\n\n"]) == [Event("message", "a")]
    # split inside the BOM
    assert parse_all([b"\xef", b"\xbb", b"\xbfdata: a\n\n"]) == [Event("message", "a")]
    # a second BOM is part of the field name, so the line is an unknown field and ignored
    assert parse_all([b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n"]) == []
    # a BOM in the middle of the stream is data
    assert parse_all([b"data: a\n\n\xef\xbb\xbfdata: b\n\n"]) == [Event("message", "a")]


def test_comments_are_ignored_and_dispatch_nothing():
    assert parse_all([b":\n\n: keep-alive\n\n:ping\r\n\r\n"]) == []
    assert parse_all([b": c\ndata: x\n: c2\n\n"]) == [Event("message", "x")]


def test_multiline_data_is_joined_with_newlines():
    assert parse_all([b"data: a\ndata: b\ndata:\ndata: c\n\n"]) == [Event("message", "a\nb\n\nc")]


def test_only_one_space_after_the_colon_is_stripped():
    assert parse_all([b"data:  x \n\n"]) == [Event("message", " x ")]
    assert parse_all([b"data:x\n\n"]) == [Event("message", "x")]
    assert parse_all([b"data:\tx\n\n"]) == [Event("message", "\tx")]


def test_a_field_without_colon_has_an_empty_value():
    assert parse_all([b"data\n\n"]) == [Event("message", "")]
    assert parse_all([b"data\ndata\n\n"]) == [Event("message", "\n")]


def test_an_event_without_data_is_not_dispatched_and_its_type_does_not_leak():
    assert parse_all([b"event: status\n\ndata: x\n\n"]) == [Event("message", "x")]
    assert parse_all([b"event: status\nid: 7\nretry: 10\n\n"]) == []


def test_unknown_fields_are_ignored():
    assert parse_all([b"foo: bar\nDATA: no\nEvent: no\ndata: yes\n\n"]) == [Event("message", "yes")]


def test_retry_only_when_all_digits():
    parser = SSEParser()
    assert parser.feed(b"retry: 250\ndata: a\n\n") == [Event("message", "a", retry=250)]
    assert parser.retry == 250
    for bad in (b"retry: 1.5", b"retry: -3", b"retry: 10ms", b"retry:", b"retry:  12", b"retry: \xd9\xa3"):
        events = parser.feed(bad + b"\ndata: b\n\n")
        assert events == [Event("message", "b")], bad
        assert parser.retry == 250, bad


def test_id_persists_across_events_and_an_id_with_nul_is_ignored():
    parser = SSEParser()
    assert parser.feed(b"id: 1\ndata: a\n\n") == [Event("message", "a", id="1")]
    assert parser.feed(b"data: b\n\n") == [Event("message", "b", id="1")]
    assert parser.feed(b"id: 2\x003\ndata: c\n\n") == [Event("message", "c", id="1")]
    assert parser.feed(b"id\ndata: d\n\n") == [Event("message", "d", id="")]
    assert parser.feed(b"id: 9\n\n") == []
    assert parser.last_event_id == "9"  # an id takes effect at the blank line even without data


def test_incomplete_event_at_the_end_is_discarded():
    assert parse_all([b"data: a\n\ndata: b\n"]) == [Event("message", "a")]
    assert parse_all([b"data: a\n\ndata: b"]) == [Event("message", "a")]
    assert parse_all([b"data: a\n\nevent: status\ndata: b\r"]) == [Event("message", "a")]


def test_invalid_utf8_becomes_replacement_characters():
    assert parse_all([b"data: \xff\xfe ok\n\n"]) == [Event("message", "\ufffd\ufffd ok")]


def test_a_truncated_multibyte_character_at_the_end_is_dropped_with_the_tail():
    assert parse_all([b"data: a\n\ndata: \xe2\x98"]) == [Event("message", "a")]


def test_feed_returns_events_as_soon_as_their_blank_line_arrives():
    parser = SSEParser()
    assert parser.feed(b"event: status\ndata: 1") == []
    assert parser.feed(b"\n") == []
    assert parser.feed(b"\n") == [Event("status", "1")]
    assert parser.feed(b"") == []


def test_a_long_stream_of_many_events_in_small_chunks():
    body = b"".join(b"event: status\ndata: %d\n\n: ka\n\n" % i for i in range(500))
    events = parse_all(body[i : i + 7] for i in range(0, len(body), 7))
    assert [e.data for e in events] == [str(i) for i in range(500)]
