#!/usr/bin/env python3
"""Lint every IAM policy document clusterup wrote during the recorded lifecycle, with parliament.

    lint_policies.py [--known FILE] RECORDING.jsonl
    lint_policies.py --file POLICY.json [--trust]       (one document, e.g. a planted bad one)

Documents come from the IAM calls that carry them: CreateRole and UpdateAssumeRolePolicy (trust
policies), PutRolePolicy, CreatePolicy and CreatePolicyVersion (permission policies). Each distinct
document is analysed with parliament's own auditors: malformed JSON or elements, unknown actions and
prefixes, resources that match no resource type of the action, condition keys that do not apply to the
action, operator/value type mismatches, unknown principals.

Printed as notes, not failures, and why:
- RESOURCE_STAR: a judgement call parliament leaves to the reader; Describe/List actions only take "*",
  and clusterup narrows its "*" statements with aws:ResourceTag conditions, which parliament does not
  count.
- MISMATCHED_TYPE_BUT_USABLE: parliament's own words: it works. (StringEquals on the ARN-typed
  elasticfilesystem:AccessPointArn is the form of the EFS User Guide's own example, "Using access points
  in IAM policies".) MISMATCHED_TYPE, an operator that cannot work on the key, does fail.
Not failures either:
- MALFORMED "neither Resource nor NotResource" on a trust policy: trust policies name a Principal and
  never a Resource (IAM User Guide, "Role trust policy"); parliament only knows permission policies.
Parliament's community auditors (what a policy permits, not whether it is valid) are not run.

--known: allow-list, lines `OPERATION POLICY ISSUE` (POLICY: the PolicyName, or `trust`); see
allowlist.py. Exit 1 on any other finding.
"""

import argparse
import collections
import json
import sys

from parliament import analyze_policy_string

import allowlist
import recording

# (operation, form member holding the document, is it a trust policy)
DOCUMENTS = [
    ("CreateRole", "AssumeRolePolicyDocument", True),
    ("UpdateAssumeRolePolicy", "PolicyDocument", True),
    ("PutRolePolicy", "PolicyDocument", False),
    ("CreatePolicy", "PolicyDocument", False),
    ("CreatePolicyVersion", "PolicyDocument", False),
]

NOTES = {"RESOURCE_STAR", "MISMATCHED_TYPE_BUT_USABLE"}


def extract(requests):
    """[(where, operation, policy label, document text, trust)] for every policy document sent to IAM."""
    out = []
    for request in requests:
        if request.service != "iam":
            continue
        form = dict(request.form())
        for operation, member, trust in DOCUMENTS:
            if form.get("Action") == operation and member in form:
                label = "trust" if trust else form.get("PolicyName", form.get("PolicyArn", "?"))
                where = f"{request.where()} {operation} {form.get('RoleName', '')}".rstrip()
                out.append((where, operation, label, form[member], trust))
    return out


def lint(text, trust):
    """([(issue, detail)] that fail, [(issue, detail)] shown as notes) for one document."""
    found, notes = [], []
    for finding in analyze_policy_string(text, include_community_auditors=False).findings:
        if finding.issue in NOTES:
            notes.append((finding.issue, str(finding.detail)))
            continue
        if trust and finding.issue == "MALFORMED" and "neither Resource nor NotResource" in str(finding.detail):
            continue
        found.append((finding.issue, str(finding.detail)))
    if trust:
        found.extend(_trust_shape(text))
    return found, notes


def _trust_shape(text):
    """What parliament does not check in a trust policy: each statement names a principal."""
    try:
        statements = json.loads(text).get("Statement", [])
    except (json.JSONDecodeError, AttributeError):
        return []  # parliament reports the malformed JSON
    statements = statements if isinstance(statements, list) else [statements]
    return [
        ("MALFORMED", f"trust statement {i} names no Principal")
        for i, s in enumerate(statements)
        if isinstance(s, dict) and "Principal" not in s and "NotPrincipal" not in s
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--known", help="allow-list of findings already reported (may only shrink)")
    parser.add_argument("--file", help="lint this one document instead of a recording")
    parser.add_argument("--trust", action="store_true", help="with --file: it is a trust policy")
    parser.add_argument("recording", nargs="?")
    args = parser.parse_args(argv)

    if args.file:
        with open(args.file, encoding="utf-8") as f:
            documents = [(args.file, "file", "file", f.read(), args.trust)]
    elif args.recording:
        documents = extract(recording.read(args.recording))
    else:
        parser.error("a recording or --file")
    if not documents:
        print("no IAM policy document in the recording: nothing was linted, which is a failure")
        return 1

    findings = collections.defaultdict(list)
    distinct = {}
    for where, operation, label, text, trust in documents:
        # The same document is sent again on update; lint it once, count where it was sent.
        key = (operation, label, text)
        first = key not in distinct
        if first:
            distinct[key] = lint(text, trust)
        failures, notes = distinct[key]
        for issue, detail in failures:
            findings[(operation, label, issue)].append((where, detail))
        for issue, detail in notes if first else []:
            print(f"note {operation} {label} {issue}: {detail}")
    print(f"linted {len(distinct)} distinct policy document(s) of {len(documents)} sent, with parliament")
    failed = allowlist.report(findings, allowlist.read(args.known, 3), args.known)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
