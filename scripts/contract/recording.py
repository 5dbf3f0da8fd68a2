"""Reading the proxy's recording (tests/support/recording.rs): one JSON object per request.

Shared by the contract checks; knows the recording's format and nothing of AWS's models.
"""

import base64
import json
import urllib.parse


class Request:
    """One recorded request, with the accessors every check needs."""

    def __init__(self, fields, number):
        self.number = number
        self.phase = fields.get("phase", "")
        self.service = fields.get("service")
        self.method = fields["method"]
        self.path = fields["path"]
        self.query = fields.get("query", "")
        self.headers = {k.lower(): v for k, v in fields.get("headers", {}).items()}
        self.status = fields.get("status")
        if "body_base64" in fields:
            self.body = base64.b64decode(fields["body_base64"])
        else:
            self.body = fields.get("body", "").encode("utf-8")

    def header(self, name):
        return self.headers.get(name.lower())

    def form(self):
        """The urlencoded body of a query/ec2 request as an ordered list of (key, value)."""
        return urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)

    def query_pairs(self):
        return urllib.parse.parse_qsl(self.query, keep_blank_values=True)

    def where(self):
        return f"request #{self.number} ({self.phase or 'no phase'}, {self.method} {self.path})"


def read(path):
    with open(path, encoding="utf-8") as f:
        return [Request(json.loads(line), n) for n, line in enumerate(f, 1) if line.strip()]
