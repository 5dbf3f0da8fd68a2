"""A small IAM policy evaluator: enough of AWS's policy evaluation logic for the contract checks.

    evaluate(policies, request) -> Decision

- a request is one action on one resource ARN with its context (condition keys and their values);
- statements: Effect Allow/Deny, Action/NotAction (case-insensitive, `*` and `?`), Resource/NotResource
  (ARNs matched part by part, `*` and `?` within a part, the resource part free), Principal for
  resource policies (`*`, or `{"AWS": ...}` ARNs; a role's session matches its role);
- conditions: String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals, Arn(Not)Like, Bool, Null,
  each with `IfExists`, and `ForAnyValue:`/`ForAllValues:` on multivalued keys; keys are
  case-insensitive, values of a condition are ORed, conditions of a statement ANDed; a missing key
  fails a positive operator and satisfies a negated one (IAM User Guide, "Condition operators");
- decision: an explicit Deny in any policy wins; else Allow if an identity policy allows (and every
  permissions boundary given allows too), or a resource policy allows the principal; else the implicit
  deny (IAM User Guide, "Policy evaluation logic", same-account requests).
"""

import re


class Request:
    def __init__(self, action, resource, context=None, principal=None):
        self.action = action
        self.resource = resource
        self.context = {k.lower(): v for k, v in (context or {}).items()}
        self.principal = principal

    def __repr__(self):
        return f"{self.action} on {self.resource}"


class Decision:
    def __init__(self, allowed, reason, statement=None):
        self.allowed = allowed
        self.reason = reason
        self.statement = statement

    def __bool__(self):
        return self.allowed

    def __repr__(self):
        return f"{'ALLOW' if self.allowed else 'DENY'} ({self.reason})"


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _glob(pattern, text, ignore_case=False):
    """IAM's wildcards: `*` any run of characters, `?` one; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def action_matches(pattern, action):
    return _glob(pattern, action, ignore_case=True)


def arn_matches(pattern, arn):
    """An ARN pattern against an ARN: `*` alone matches anything; else the first five parts one by one
    and the resource part (which may hold `:`) as a whole (IAM User Guide, "ArnLike")."""
    if pattern == "*":
        return True
    want = pattern.split(":", 5)
    have = arn.split(":", 5)
    # An action that takes no resource type is authorised on `*`, which only `*` matches; a pattern that
    # is no whole ARN matches nothing.
    if len(want) != 6 or len(have) != 6:
        return False
    return all(_glob(w, h) for w, h in zip(want, have))


def _principal_matches(principal_element, principal):
    if principal_element == "*":
        return True
    if not isinstance(principal_element, dict) or principal is None:
        return False
    for value in _as_list(principal_element.get("AWS")):
        if value == "*" or value == principal:
            return True
        account = re.fullmatch(r"arn:[^:]+:iam::(\d{12}):root", value)
        if account and f"::{account.group(1)}:" in principal:
            return True
    return False


_STRING = {
    "StringEquals": lambda v, p: v == p,
    "StringEqualsIgnoreCase": lambda v, p: v.lower() == p.lower(),
    "StringLike": lambda v, p: _glob(p, v),
    "ArnEquals": lambda v, p: v == p,
    "ArnLike": lambda v, p: arn_matches(p, v),
    "Bool": lambda v, p: str(v).lower() == str(p).lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


class UnsupportedCondition(Exception):
    """An operator this evaluator does not know: fail loudly rather than guess."""


def _condition_holds(operator, key, patterns, context):
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    present = key.lower() in context
    values = _as_list(context.get(key.lower()))
    patterns = [str(p) for p in _as_list(patterns)]
    if operator == "Null":
        return all((not present) == (p.lower() == "true") for p in patterns)
    if not present:
        return if_exists or operator in _NEGATED or qualifier == "ForAllValues"
    negated = operator in _NEGATED
    test = _STRING.get(_NEGATED.get(operator, operator))
    if test is None:
        raise UnsupportedCondition(operator)

    def one(value):
        matched = any(test(str(value), p) for p in patterns)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def _statement_applies(statement, request, resource_policy):
    if "Action" in statement:
        if not any(action_matches(p, request.action) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(arn_matches(p, request.resource) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(arn_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return False
    elif not resource_policy:
        return False
    if resource_policy:
        if "Principal" in statement and not _principal_matches(statement["Principal"], request.principal):
            return False
        if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], request.principal):
            return False
    for operator, block in (statement.get("Condition") or {}).items():
        for key, patterns in block.items():
            if not _condition_holds(operator, key, patterns, request.context):
                return False
    return True


def _statements(policy):
    return _as_list(policy.get("Statement"))


def _matching(policy, request, effect, resource_policy=False):
    for statement in _statements(policy):
        if statement.get("Effect") == effect and _statement_applies(statement, request, resource_policy):
            return statement
    return None


def evaluate(identity, request, resource_policies=(), boundaries=()):
    """The decision for `request` under the identity policies, resource policies and boundaries."""
    for policy in list(identity) + list(boundaries):
        denied = _matching(policy, request, "Deny")
        if denied:
            return Decision(False, f"explicitly denied by {denied.get('Sid', 'a statement')}", denied)
    for policy in resource_policies:
        denied = _matching(policy, request, "Deny", resource_policy=True)
        if denied:
            return Decision(False, f"explicitly denied by the resource policy's {denied.get('Sid', 'statement')}", denied)
    for policy in resource_policies:
        allowed = _matching(policy, request, "Allow", resource_policy=True)
        if allowed:
            return Decision(True, f"allowed by the resource policy's {allowed.get('Sid', 'statement')}", allowed)
    for policy in identity:
        allowed = _matching(policy, request, "Allow")
        if allowed:
            if boundaries and not all(_matching(b, request, "Allow") for b in boundaries):
                return Decision(False, "allowed, but not within the permissions boundary")
            return Decision(True, f"allowed by {allowed.get('Sid', 'a statement')}", allowed)
    return Decision(False, "no statement allows it (implicit deny)")
