import io
import json

import pytest

from collector.errors import OutputClosed
from collector.output import Sink, render


def test_render_keeps_zoom_fields_and_adds_ours():
    record = {"time": "2026-11-26T10:00:00Z", "operation_detail": "Edit Group Recruiting ", "action": "Update"}
    line = render(record, "operation", "acme", "ab" * 16)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {**record, "log_type": "operation", "account": "acme", "record_id": "ab" * 16}


def test_file_output_cuts_a_partial_line_left_by_a_crash(tmp_path):
    path = tmp_path / "out.ndjson"
    path.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    sink = Sink.file(str(path))
    sink.write_batch([b'{"c":3}\n'])
    sink.close()
    assert path.read_bytes() == b'{"a":1}\n{"b":2}\n{"c":3}\n'


def test_file_output_with_only_a_partial_line(tmp_path):
    path = tmp_path / "out.ndjson"
    path.write_bytes(b'{"half')
    Sink.file(str(path)).close()
    assert path.read_bytes() == b""


def test_closed_reader_raises_output_closed():
    class Gone(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            raise BrokenPipeError

    with pytest.raises(OutputClosed, match="went away"):
        Sink(Gone(), durable=False).write_batch([b"{}\n"])
