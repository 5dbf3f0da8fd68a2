#!/usr/bin/env python3
"""Check every recorded request against AWS's service models (botocore's service-2.json).

    check_requests.py [--known FILE] RECORDING.jsonl

Each request is identified (service, operation), read back into its input parameters the way its
protocol says, and validated: required members, unknown members, types, enums, lengths, ranges, list
sizes and patterns. Findings are grouped by operation, member (list indices dropped) and rule.

--known names an allow-list of violations already reported and not yet fixed: each line
`SERVICE OPERATION MEMBER RULE`, `#` comments. A known finding is printed but does not fail; a listed
violation that no longer occurs fails (the list may only shrink: delete the line). Exit 1 on any
other finding or any request that fits no operation.
"""

import argparse
import collections
import re
import sys

import botocore

import allowlist
import constraints
import models
import recording
import wire


def member_key(path):
    """A member path without list indices or map keys, so one defect is one finding."""
    return re.sub(r"\[\d+\]|\{[^}]*\}", "[]", path) or "(request)"


def check(requests):
    """(findings, stats): findings maps (service, operation, member, rule) to [(where, detail)]."""
    findings = collections.defaultdict(list)
    stats = collections.Counter()
    operations = set()
    uncheckable = set()
    for request in requests:
        try:
            model, op, protocol = models.identify(request)
        except models.Unidentified as e:
            findings[(request.service or "?", "?", "(request)", "unidentified")].append((request.where(), str(e)))
            continue
        stats[protocol] += 1
        operations.add((model.service_name, op.name))
        params, problems = wire.parse(request, op, protocol)
        checked, missed = constraints.validate(params, op.input_shape)
        uncheckable |= missed
        seen = set()
        for path, rule, detail in problems + checked:
            key = (model.service_name, op.name, member_key(path), rule)
            # ParamValidator and the wire reader may both see an unknown member: one finding.
            if (key, detail) not in seen:
                seen.add((key, detail))
                findings[key].append((request.where(), f"{path}: {detail}" if path else detail))
    return findings, stats, operations, uncheckable


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--known", help="allow-list of violations already reported (may only shrink)")
    parser.add_argument("recording")
    args = parser.parse_args(argv)

    requests = recording.read(args.recording)
    findings, stats, operations, uncheckable = check(requests)
    known = allowlist.read(args.known, 4)

    print(f"checked {sum(stats.values())} of {len(requests)} requests "
          f"({', '.join(f'{p} {n}' for p, n in sorted(stats.items()))}), {len(operations)} operations, "
          f"against botocore {botocore.__version__}'s models")
    print("constraints evaluated: " + ", ".join(f"{rule} {n}" for rule, n in sorted(constraints.evaluated.items())))
    for pattern in sorted(uncheckable):
        print(f"note: pattern not checkable in Python: {pattern}")

    failed = allowlist.report(findings, known, args.known)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
