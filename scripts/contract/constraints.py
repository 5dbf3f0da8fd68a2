"""Input parameters against their shape: every constraint the model states.

botocore's ParamValidator checks required members, unknown members, types, unions and minimums; it
leaves out maximums, enums and patterns (the service enforces those). This adds them, walking the same
shapes, so a request is held to everything AWS would check from its model.
"""

import collections

import regex
from botocore.validate import ParamValidator

# Model patterns are Java/ECMA regular expressions: `regex` reads their Unicode classes (\\p{L}); these
# pieces it would still read differently.
_PATTERN_FIXES = [
    # A surrogate pair range (UTF-16) means every supplementary code point.
    (r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF"),
    # Java's 5-digit escapes (\u10000-\u10FFFF) mean the same.
    (r"\u10000-\u10FFFF", r"\U00010000-\U0010FFFF"),
    (r"\x{10000}-\x{10FFFF}", r"\U00010000-\U0010FFFF"),
]


class Uncheckable(Exception):
    """A model pattern Python cannot compile: counted and shown, never silently passed."""


_compiled = {}

# How often each rule was evaluated on a value, so a clean run shows what it covered.
evaluated = collections.Counter()


def compile_pattern(pattern):
    if pattern not in _compiled:
        fixed = pattern
        for java, python in _PATTERN_FIXES:
            fixed = fixed.replace(java, python)
        try:
            _compiled[pattern] = regex.compile(fixed)
        except regex.error as e:
            _compiled[pattern] = Uncheckable(f"{pattern!r}: {e}")
    compiled = _compiled[pattern]
    if isinstance(compiled, Uncheckable):
        raise compiled
    return compiled


def validate(params, shape):
    """Findings as (member path, rule, detail), and the patterns that could not be checked."""
    findings = []
    uncheckable = set()
    if shape is None:
        return findings, uncheckable
    report = ParamValidator().validate(params, shape)
    # ValidationErrors keeps its findings as (kind, member name, details); it has no public accessor.
    for kind, name, info in report._errors:
        findings.append(_finding(kind, _path(name), info))
    _walk(params, shape, "", findings, uncheckable)
    return findings, uncheckable


def _path(name):
    # ParamValidator names members ".A.B[0].C" (the root is ""); ours are "A.B[0].C".
    return name[1:] if name.startswith(".") else name


def _join(path, member):
    return f"{path}.{member}" if path else member


def _finding(kind, path, info):
    """One ParamValidator error as (member path, rule, detail), naming the member it is about."""
    if kind == "missing required field":
        return _join(path, info["required_name"]), "required", "required member missing"
    if kind == "unknown field":
        return _join(path, info["unknown_param"]), "unknown-member", f"not a member (valid: {info['valid_names']})"
    details = {k: (_short(v) if k == "param" else v) for k, v in info.items() if k != "user_params"}
    return path, kind.replace(" ", "-"), f"{kind}: {details}"


def _walk(value, shape, path, findings, uncheckable):
    if value is None:
        return
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        for name, item in value.items():
            member = shape.members.get(name)
            if member is not None:
                _walk(item, member, f"{path}.{name}" if path else name, findings, uncheckable)
    elif kind == "list" and isinstance(value, (list, tuple)):
        _size(len(value), meta, path, "list-size", findings, check_min=False)
        for i, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{i}]", findings, uncheckable)
    elif kind == "map" and isinstance(value, dict):
        _size(len(value), meta, path, "map-size", findings, check_min=True)
        for key, item in value.items():
            _walk(key, shape.key, f"{path}{{key}}", findings, uncheckable)
            _walk(item, shape.value, f"{path}{{{key}}}", findings, uncheckable)
    elif kind == "string" and isinstance(value, str):
        # min is ParamValidator's; the rest is ours.
        _size(len(value), meta, path, "string-length", findings, check_min=False)
        enum = meta.get("enum")
        evaluated["enum"] += bool(enum)
        if enum and value not in enum:
            findings.append((path, "enum", f"{_short(value)!r} is not one of {enum}"))
        if "pattern" in meta:
            evaluated["pattern"] += 1
            try:
                if not compile_pattern(meta["pattern"]).fullmatch(value):
                    findings.append((path, "pattern", f"{_short(value)!r} does not match {meta['pattern']!r}"))
            except Uncheckable as e:
                uncheckable.add(str(e))
    elif kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        evaluated["range"] += "max" in meta or "min" in meta
        if "max" in meta and value > meta["max"]:
            findings.append((path, "range", f"{value} is above the maximum {meta['max']}"))
    elif kind == "blob" and isinstance(value, (bytes, bytearray)):
        _size(len(value), meta, path, "blob-length", findings, check_min=True)


def _size(size, meta, path, rule, findings, check_min):
    evaluated[rule] += "max" in meta or "min" in meta
    if "max" in meta and size > meta["max"]:
        findings.append((path, rule, f"{size} is above the maximum {meta['max']}"))
    if check_min and "min" in meta and size < meta["min"]:
        findings.append((path, rule, f"{size} is below the minimum {meta['min']}"))


def _short(value, limit=60):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."
