"""Allow-lists of violations that are reported and not yet fixed, shared by the contract checks.

A file of lines with a fixed number of whitespace-separated fields, `#` starting a comment (say why the
entry exists and what fixes it). A finding on the list is printed as KNOWN and does not fail; an entry
that no longer occurs fails as FIXED, so the list can only shrink.
"""


def read(path, fields):
    known = set()
    if not path:
        return known
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = tuple(line.split())
            if len(parts) != fields:
                raise SystemExit(f"{path}:{number}: expected {fields} fields, got {line!r}")
            known.add(parts)
    return known


def report(findings, known, path, show=3):
    """Print findings (key tuple -> [(where, detail)]) against the allow-list; True when it must fail."""
    failed = False
    for key in sorted(findings):
        hits = findings[key]
        status = "KNOWN" if key in known else "FAIL"
        failed |= status == "FAIL"
        print(f"{status} {' '.join(key)}: {len(hits)} time(s)")
        for where, detail in hits[:show]:
            print(f"    {where}: {detail}")
    for key in sorted(known - set(findings)):
        failed = True
        print(f"FIXED {' '.join(key)}: no longer occurs, delete it from {path} (the list only shrinks)")
    if not failed:
        print(f"ok: nothing beyond the {len(known)} known violation(s)")
    return failed
