#!/usr/bin/env python3
"""Run shellcheck on every shell script clusterup rendered during the recorded lifecycle.

    shellcheck_scripts.py [--known FILE] RECORDING.jsonl
    shellcheck_scripts.py --file SCRIPT                  (one script, e.g. a planted bad one)

Scripts come from the requests that carry them: the launch template's UserData (base64 inside
CreateLaunchTemplate / CreateLaunchTemplateVersion's LaunchTemplateData) and the objects put to S3
under bootstrap/ (the EMR bootstrap action). A script that writes another script through a heredoc
(a body starting with `#!`) has that script checked too: for an unquoted delimiter the outer shell
expands the body when it writes the file, so escaped `\\$` become `$` and the outer expansions become a
placeholder word, which is what the written file holds in their place.

Findings at severity warning and above (`shellcheck -S warning`) fail. --known: allow-list, lines
`SCRIPT CODE` (e.g. `user-data SC2086`); see allowlist.py.
"""

import argparse
import base64
import collections
import hashlib
import os
import re
import subprocess
import sys
import tempfile

import allowlist
import recording

SHELLCHECK = os.environ.get("SHELLCHECK", "shellcheck")


def extract(requests):
    """[(label, where, text)] of every rendered script, and of the scripts they write through heredocs."""
    scripts = []
    for request in requests:
        if request.service == "ec2" and request.method == "POST":
            form = dict(request.form())
            if form.get("Action") in ("CreateLaunchTemplate", "CreateLaunchTemplateVersion"):
                data = form.get("LaunchTemplateData.UserData")
                if data:
                    text = base64.b64decode(data).decode("utf-8")
                    scripts.append(("user-data", f"{request.where()} {form['Action']}", text))
        elif request.service == "s3" and request.method == "PUT":
            key = request.path.strip("/").split("/", 1)[-1]
            if "/bootstrap/" in request.path or key.endswith(".sh"):
                scripts.append((f"s3:{key.rsplit('/', 1)[-1]}", f"{request.where()} PutObject", request.body.decode("utf-8")))
    nested = []
    for label, where, text in scripts:
        for delimiter, body in heredoc_scripts(text):
            nested.append((f"{label}>{delimiter}", f"{where} (heredoc {delimiter})", body))
    return scripts + nested


_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1[^\n]*\n(.*?)^\s*\2\s*$", re.S | re.M)


def heredoc_scripts(text):
    """[(delimiter, body as written to its file)] for heredocs whose body is a shell script."""
    found = []
    for match in _HEREDOC.finditer(text):
        quoted, delimiter, body = match.group(1), match.group(2), match.group(3)
        first = body.split("\n", 1)[0]
        if not re.match(r"#!\s*/(usr/)?bin/(env\s+)?(ba|da|k)?sh\b", first):
            continue
        found.append((delimiter, body if quoted else expand_unquoted(body)))
    return found


def expand_unquoted(body):
    """An unquoted heredoc's body as the outer shell writes it: escapes resolved, the outer shell's own
    expansions (its variables, command substitutions) replaced by one placeholder word each."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body) and body[i + 1] in "$`\\":
            out.append(body[i + 1])
            i += 2
        elif c == "\\" and i + 1 < len(body) and body[i + 1] == "\n":
            i += 2
        elif c == "$" and i + 1 < len(body) and body[i + 1] in "{(":
            close = "}" if body[i + 1] == "{" else ")"
            depth, j = 0, i + 1
            while j < len(body):
                if body[j] == body[i + 1]:
                    depth += 1
                elif body[j] == close:
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append("EXPANDED_BY_OUTER_SCRIPT")
            i = j + 1
        elif c == "$" and i + 1 < len(body) and (body[i + 1].isalnum() or body[i + 1] in "_@*#?$!-"):
            j = i + 2 if not (body[i + 1].isalpha() or body[i + 1] == "_") else i + 1
            while j < len(body) and (body[j].isalnum() or body[j] == "_") and (body[i + 1].isalpha() or body[i + 1] == "_"):
                j += 1
            out.append("EXPANDED_BY_OUTER_SCRIPT")
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def shellcheck(text):
    """[(code, line, message)] at severity warning and above."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        result = subprocess.run(
            [SHELLCHECK, "-S", "warning", "-f", "gcc", path], capture_output=True, text=True, check=False
        )
    finally:
        os.unlink(path)
    if result.returncode not in (0, 1):
        raise SystemExit(f"shellcheck failed to run: {result.stderr.strip()}")
    findings = []
    for line in result.stdout.splitlines():
        # path:line:column: severity: message [SCnnnn]
        match = re.match(r".*?:(\d+):\d+: (\w+): (.*) \[(SC\d+)\]$", line)
        if match:
            findings.append((match.group(4), int(match.group(1)), f"{match.group(2)}: {match.group(3)}"))
    return findings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--known", help="allow-list of findings already reported (may only shrink)")
    parser.add_argument("--file", help="check this one script (and its heredoc scripts) instead of a recording")
    parser.add_argument("recording", nargs="?")
    args = parser.parse_args(argv)

    if args.file:
        with open(args.file, encoding="utf-8") as f:
            text = f.read()
        scripts = [("file", args.file, text)]
        scripts += [(f"file>{d}", f"{args.file} (heredoc {d})", b) for d, b in heredoc_scripts(text)]
    elif args.recording:
        scripts = extract(recording.read(args.recording))
    else:
        parser.error("a recording or --file")
    if not scripts:
        print("no rendered script in the recording: nothing was checked, which is a failure")
        return 1

    findings = collections.defaultdict(list)
    checked = {}
    for label, where, text in scripts:
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in checked:
            checked[digest] = shellcheck(text)
        for code, line, message in checked[digest]:
            findings[(label, code)].append((f"{where} line {line}", message))
    labels = sorted({label for label, _, _ in scripts})
    print(f"shellcheck -S warning on {len(checked)} distinct script(s) of {len(scripts)} rendered: {', '.join(labels)}")
    failed = allowlist.report(findings, allowlist.read(args.known, 2), args.known)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
