#!/usr/bin/env python3
"""Tests of rhetor_spark.py's own logic, without Spark:

    python3 -m unittest contrib/spark/test_rhetor_spark.py

The tests that run rhetor use target/release/rhetor, or the binary named by $RHETOR_BIN, and
are skipped when there is none. The end-to-end check on Spark is run_local.py."""

import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rhetor_spark as rs  # noqa: E402

BINARY = os.environ.get("RHETOR_BIN", str(rs.DEFAULT_BINARY))
HAVE_BINARY = os.access(BINARY, os.X_OK)

try:
    import pyarrow as pa
except ImportError:  # pragma: no cover
    pa = None


class PassthroughFields(unittest.TestCase):
    def check(self, line, want):
        got = rs.passthrough_fields(line, json.JSONDecoder())
        self.assertEqual(got, want)
        json.loads(got)

    def test_no_fields(self):
        self.check('{"doc":"a","id":"b","paragraph":0}', "{}")

    def test_fields_kept_as_written(self):
        self.check('{"outlet":"X","n":1.0e3,"z":-0,"doc":"a","id":"b"}',
                   '{"outlet":"X","n":1.0e3,"z":-0}')

    def test_nested_doc_keys_are_not_rhetors(self):
        self.check('{"meta":{"doc":"x"},"doc":"a"}', '{"meta":{"doc":"x"}}')
        self.check('{"x":[1,{"doc":2}],"doc":"a"}', '{"x":[1,{"doc":2}]}')

    def test_doc_inside_strings_and_keys(self):
        self.check('{"t":"say \\"doc\\": no","doc":"a"}', '{"t":"say \\"doc\\": no"}')
        self.check('{"x\\"doc":1,"doc":"a"}', '{"x\\"doc":1}')
        self.check('{"s":"{[","doc":"a"}', '{"s":"{["}')

    def test_fields_named_like_rhetors_keys(self):
        # An input field `role` stays a passthrough field, whatever rhetor writes after `doc`.
        self.check('{"role":"body","k":1,"k":2,"doc":"a","role":"headline"}',
                   '{"role":"body","k":1,"k":2}')

    def test_not_rhetor_output(self):
        for line in ('{"x":1}', "garbage", '{"x":1 "doc":2}', "{}"):
            with self.assertRaises(ValueError):
                rs.passthrough_fields(line, json.JSONDecoder())


@unittest.skipIf(pa is None, "needs pyarrow")
class MissingIds(unittest.TestCase):
    def first(self, lines):
        return rs._first_without_id(pa.array(lines, pa.binary()))

    def test_all_have_ids(self):
        self.assertIsNone(self.first([b'{"id":"a","text":"x"}', b'{"id":1,"text":"y"}']))

    def test_blank_and_malformed_lines_are_left_to_rhetor(self):
        self.assertIsNone(self.first([b"", b"   \r", b"not json", b"[1,2]", b"\xff"]))

    def test_record_without_id(self):
        self.assertEqual(self.first([b'{"id":"a","text":"x"}', b"", b'{"doc":"d","text":"y"}']),
                         2)


@unittest.skipUnless(HAVE_BINARY, f"no rhetor binary at {BINARY}")
class Probe(unittest.TestCase):
    def test_tasks_and_keys_of_the_default_model(self):
        tasks, extras, version = rs.probe_model(BINARY, None)
        self.assertTrue(version.startswith("rhetor "))
        self.assertTrue(tasks)
        for task, multi, labels in tasks:
            self.assertIsInstance(multi, bool)
            self.assertTrue(labels)
        for key, kind in extras:
            self.assertNotIn(key, rs.CORE_KEYS)
            self.assertIn(kind, ("string", "bigint", "double", "boolean", "json"))

    def test_keys_a_newer_rhetor_writes_become_columns(self):
        # A rhetor that also writes `role` (and a number) after `end`.
        with tempfile.TemporaryDirectory() as d:
            wrapper = Path(d) / "rhetor"
            wrapper.write_text(textwrap.dedent(f"""\
                #!{sys.executable}
                import re, subprocess, sys
                p = subprocess.Popen([{BINARY!r}] + sys.argv[1:], stdout=subprocess.PIPE)
                for line in p.stdout:
                    if line.startswith(b"{{"):
                        first = re.search(rb',"paragraph":0,', line) is not None
                        role = b"headline" if first else b"body"
                        line = line.replace(b',"labels":',
                                            b',"role":"' + role + b'","w":0.5,"labels":', 1)
                    sys.stdout.buffer.write(line)
                sys.stdout.flush()
                sys.exit(p.wait())
                """))
            wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
            _, extras, _ = rs.probe_model(str(wrapper), None)
            self.assertEqual(dict(extras), {"role": "string", "w": "double"})


if __name__ == "__main__":
    unittest.main()
