"""AWS's service models as botocore ships them, and which operation of which model a request calls.

The service comes from the SigV4 signing name in the recording; the operation from the protocol's own
rule: the `Action` form field (query, ec2), `X-Amz-Target` (json), `/service/<service>/operation/
<operation>` (smithy-rpc-v2-cbor), or method + request URI template (rest-json, rest-xml).
"""

import re
import urllib.parse

import botocore.session

# SigV4 signing name -> botocore model name, for every service clusterup calls (src/aws/clients.rs).
SERVICES = {
    "ec2": "ec2",
    "elasticloadbalancing": "elbv2",
    "autoscaling": "autoscaling",
    "monitoring": "cloudwatch",
    "iam": "iam",
    "rds": "rds",
    "elasticfilesystem": "efs",
    "elasticmapreduce": "emr",
    "s3": "s3",
    "sts": "sts",
    "ssm": "ssm",
    "tagging": "resourcegroupstaggingapi",
    "sns": "sns",
    "logs": "logs",
    "backup": "backup",
    "route53": "route53",
    "secretsmanager": "secretsmanager",
}

_session = botocore.session.get_session()
_models = {}


class Unidentified(Exception):
    """The request matches no operation of its service's model."""


def service_model(name):
    if name not in _models:
        _models[name] = _session.get_service_model(name)
    return _models[name]


def protocol_of(request):
    """The protocol the request was sent in, told from the request itself."""
    content_type = request.header("content-type") or ""
    if request.header("smithy-protocol") == "rpc-v2-cbor" or "application/cbor" in content_type:
        return "smithy-rpc-v2-cbor"
    if request.header("x-amz-target") or "x-amz-json" in content_type:
        return "json"
    if request.method == "POST" and "x-www-form-urlencoded" in content_type:
        return "ec2" if request.service == "ec2" else "query"
    # S3 and Route 53 speak XML; their requests without a body carry no content type to tell.
    return "rest-xml" if request.service in ("s3", "route53") else "rest-json"


def identify(request):
    """(service model, operation model, protocol) of a recorded request; raises Unidentified."""
    if request.service not in SERVICES:
        raise Unidentified(f"signed for {request.service!r}, a service clusterup is not known to call")
    model = service_model(SERVICES[request.service])
    protocol = protocol_of(request)
    protocols = model.metadata.get("protocols", [model.protocol])
    if protocol not in protocols:
        raise Unidentified(f"sent as {protocol}, but {model.service_name} speaks {protocols}")
    if protocol in ("query", "ec2"):
        form = dict(request.form())
        action = form.get("Action")
        if action not in model.operation_names:
            raise Unidentified(f"Action={action!r} is no {model.service_name} operation")
        return model, model.operation_model(action), protocol
    if protocol == "json":
        target = request.header("x-amz-target") or ""
        prefix, _, name = target.rpartition(".")
        if prefix != model.metadata.get("targetPrefix") or name not in model.operation_names:
            raise Unidentified(f"X-Amz-Target {target!r} is no {model.service_name} operation")
        return model, model.operation_model(name), protocol
    if protocol == "smithy-rpc-v2-cbor":
        # Smithy RPC v2: the service's shape name (botocore's targetPrefix) and the operation in the path.
        found = re.fullmatch(r"/service/([^/]+)/operation/([^/]+)", request.path)
        if not found or found.group(1) != model.metadata.get("targetPrefix") or found.group(2) not in model.operation_names:
            raise Unidentified(f"POST {request.path} is no {model.service_name} operation")
        return model, model.operation_model(found.group(2)), protocol
    op = match_rest(model, request)
    return model, op, protocol


def template_parts(request_uri):
    path, _, query = request_uri.partition("?")
    literals = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return path, literals


def match_path(template, path):
    """URI labels of `path` if it fits `template` ({Label} one segment, {Label+} the rest), else None."""
    want = template.strip("/").split("/") if template.strip("/") else []
    have = path.strip("/").split("/") if path.strip("/") else []
    labels = {}
    for i, part in enumerate(want):
        greedy = re.fullmatch(r"\{(\w+)\+\}", part)
        if greedy:
            rest = have[i:]
            if not rest or i != len(want) - 1:
                return None
            labels[greedy.group(1)] = urllib.parse.unquote("/".join(rest))
            return labels
        if i >= len(have):
            return None
        label = re.fullmatch(r"\{(\w+)\}", part)
        if label:
            if not have[i]:
                return None
            labels[label.group(1)] = urllib.parse.unquote(have[i])
        elif part != have[i]:
            return None
    return labels if len(have) == len(want) else None


def match_rest(model, request):
    """The operation whose method, path template and literal query (`?tagging`) fit best.

    S3 requests may name their operation in `x-id` (a literal of the request URI in S3's Smithy model,
    which botocore's model leaves out): when it names an operation that fits, that one it is.
    """
    query = dict(request.query_pairs())
    named = query.get("x-id")
    if named in model.operation_names:
        op = model.operation_model(named)
        path, _ = template_parts(op.http.get("requestUri", "/"))
        if op.http.get("method") == request.method and match_path(path, request.path) is not None:
            return op
    found = []
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.http.get("method") != request.method:
            continue
        path, literals = template_parts(op.http.get("requestUri", "/"))
        if match_path(path, request.path) is None:
            continue
        if all(key in query and (not value or query[key] == value) for key, value in literals):
            found.append((len(literals), -path.count("{"), name))
    if not found:
        raise Unidentified(f"{request.method} {request.path}?{request.query} fits no {model.service_name} operation")
    found.sort(reverse=True)
    if len(found) > 1 and found[0][:2] == found[1][:2]:
        raise Unidentified(f"ambiguous: {[f[2] for f in found[:3]]}")
    return model.operation_model(found[0][2])
