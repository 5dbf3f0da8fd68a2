"""The allow-list only lets known findings pass, and fails on entries that no longer occur."""

import os
import tempfile
import unittest
from contextlib import redirect_stdout
from io import StringIO

import allowlist

FINDINGS = {("ec2", "CreateVpc", "CidrBlock", "pattern"): [("request #1", "bad")]}


def report(known):
    out = StringIO()
    with redirect_stdout(out):
        failed = allowlist.report(FINDINGS, known, "known.txt")
    return failed, out.getvalue()


class AllowList(unittest.TestCase):
    def test_unknown_finding_fails(self):
        failed, out = report(set())
        self.assertTrue(failed)
        self.assertIn("FAIL ec2 CreateVpc CidrBlock pattern", out)

    def test_known_finding_passes_and_is_printed(self):
        failed, out = report(set(FINDINGS))
        self.assertFalse(failed)
        self.assertIn("KNOWN ec2 CreateVpc CidrBlock pattern", out)

    def test_entry_that_no_longer_occurs_fails(self):
        failed, out = report(set(FINDINGS) | {("ec2", "CreateSubnet", "VpcId", "required")})
        self.assertTrue(failed)
        self.assertIn("FIXED ec2 CreateSubnet VpcId required", out)

    def test_file_format(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("# why it is here\nec2 CreateVpc CidrBlock pattern  # and what fixes it\n\n")
        try:
            self.assertEqual(allowlist.read(f.name, 4), set(FINDINGS))
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
