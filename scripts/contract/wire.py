"""A recorded request back into the operation's input parameters, the way the service reads it.

The mirror of botocore's serializers (botocore/serialize.py) for each protocol, reading a wire form into
the Python parameters botocore's validator takes. Whatever the request carries that no input member
reads (a form key, a JSON member, an XML element, a query parameter) is reported as unknown: AWS
rejects unknown query members, and ignores nothing it was sent on purpose.
"""

import base64
import binascii
import json
import xml.etree.ElementTree as ET

import botocore.serialize
from botocore.parsers import RpcV2CBORParser

from models import match_path, template_parts


class WireError(Exception):
    """A value that cannot be read as its member's type."""


def parse(request, op, protocol):
    """(params, problems): the input parameters, and wire-level problems as (member path, rule, detail)."""
    shape = op.input_shape
    if protocol in ("query", "ec2"):
        return _parse_query(request, op, protocol)
    if protocol == "json":
        return _parse_json_body(request.body, shape)
    if protocol == "smithy-rpc-v2-cbor":
        return _parse_cbor_body(request.body, shape)
    return _parse_rest(request, op, protocol)


# --- scalars ----------------------------------------------------------------------------------------


def scalar(text, shape, path, problems):
    """A text value (form field, header, query parameter, XML text) as its shape's type."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            if text not in ("true", "false"):
                raise WireError(f"{text!r} is not true/false")
            return text == "true"
        if kind == "blob":
            return base64.b64decode(text, validate=True)
    except (ValueError, WireError, binascii.Error) as e:
        problems.append((path, "invalid-value", f"not a {kind}: {e}"))
        return None
    return text


# --- query and ec2 ----------------------------------------------------------------------------------


def _query_name(shape, default, ec2):
    serialization = shape.serialization
    if ec2:
        if "queryName" in serialization:
            return serialization["queryName"]
        if "name" in serialization:
            return serialization["name"][0].upper() + serialization["name"][1:]
        return default
    return serialization.get("name", default)


class _Form:
    def __init__(self, pairs):
        self.values = {}
        self.duplicates = []
        for key, value in pairs:
            if key in self.values:
                self.duplicates.append(key)
            self.values[key] = value
        self.prefixes = set()
        for key in self.values:
            parts = key.split(".")
            for i in range(1, len(parts) + 1):
                self.prefixes.add(".".join(parts[:i]))
        self.consumed = set()

    def has(self, prefix):
        return prefix in self.prefixes

    def take(self, key):
        self.consumed.add(key)
        return self.values[key]


def _read_query(shape, prefix, form, ec2, problems, path):
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            key = _query_name(member, name, ec2)
            member_prefix = f"{prefix}.{key}" if prefix else key
            if form.has(member_prefix):
                out[name] = _read_query(member, member_prefix, form, ec2, problems, f"{path}.{name}" if path else name)
        return out
    if kind == "list":
        if not ec2 and prefix in form.values and form.values[prefix] == "":
            form.take(prefix)
            return []
        item_prefix = prefix
        if not ec2:
            if shape.serialization.get("flattened"):
                if shape.member.serialization.get("name"):
                    item_prefix = ".".join(prefix.split(".")[:-1] + [_query_name(shape.member, "", ec2)])
            else:
                item_prefix = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items, i = [], 1
        while form.has(f"{item_prefix}.{i}"):
            items.append(_read_query(shape.member, f"{item_prefix}.{i}", form, ec2, problems, f"{path}[{i - 1}]"))
            i += 1
        return items
    if kind == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = _query_name(shape.key, "key", ec2)
        value_name = _query_name(shape.value, "value", ec2)
        out, i = {}, 1
        while form.has(f"{base}.{i}"):
            key = _read_query(shape.key, f"{base}.{i}.{key_name}", form, ec2, problems, f"{path}{{key}}")
            value = _read_query(shape.value, f"{base}.{i}.{value_name}", form, ec2, problems, f"{path}{{{key}}}")
            out[key] = value
            i += 1
        return out
    if prefix not in form.values:
        # Keys below a scalar's name (`Name.1` where Name is a string) stay unconsumed: reported unknown.
        return None
    return scalar(form.take(prefix), shape, path, problems)


def _parse_query(request, op, protocol):
    ec2 = protocol == "ec2"
    problems = []
    form = _Form(request.form())
    for key in form.duplicates:
        problems.append((key, "duplicate-key", "sent twice"))
    if form.values.get("Version") != op.metadata["apiVersion"]:
        problems.append(("Version", "wrong-version", f"{form.values.get('Version')!r}, the model is {op.metadata['apiVersion']}"))
    form.consumed.update({"Action", "Version"})
    params = {}
    if op.input_shape is not None:
        params = _read_query(op.input_shape, "", form, ec2, problems, "")
    for key in sorted(set(form.values) - form.consumed):
        problems.append((key, "unknown-member", f"form field {key}={_short(form.values[key])} is no input member"))
    # The reading must be exact: botocore's own serializer, given what was read, produces the same keys.
    if not problems:
        serializer = botocore.serialize.create_serializer(protocol, include_validation=False)
        again = set(serializer.serialize_to_request(params, op)["body"])
        sent = set(form.values)
        if again != sent:
            problems.append(("", "wire-form", f"botocore would send keys {sorted(again ^ sent)} differently"))
    return params, problems


# --- json -------------------------------------------------------------------------------------------


def _read_json(value, shape, problems, path):
    kind = shape.type_name
    if kind == "structure" and not shape.is_document_type:
        if not isinstance(value, dict):
            problems.append((path, "invalid-value", f"expected an object, got {_short(value)}"))
            return None
        by_wire_name = {m.serialization.get("name", name): name for name, m in shape.members.items()}
        out = {}
        for key, item in value.items():
            name = by_wire_name.get(key)
            member_path = f"{path}.{key}" if path else key
            if name is None:
                problems.append((member_path, "unknown-member", f"{key} is no member of {shape.name}"))
                continue
            out[name] = _read_json(item, shape.members[name], problems, member_path)
        return out
    if kind == "list" and isinstance(value, list):
        return [_read_json(item, shape.member, problems, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {k: _read_json(v, shape.value, problems, f"{path}{{{k}}}") for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        return scalar(value, shape, path, problems)
    # Scalars of the wrong JSON type are left as they are: the validator reports the type.
    return value


def _parse_json_body(body, shape):
    problems = []
    if shape is None:
        return {}, problems
    text = body.decode("utf-8") if body else "{}"
    try:
        document = json.loads(text or "{}")
    except json.JSONDecodeError as e:
        return {}, [("", "invalid-body", f"not JSON: {e}")]
    return _read_json(document, shape, problems, "") or {}, problems


def _parse_cbor_body(body, shape):
    """A Smithy RPC v2 CBOR body: CBOR's own types (maps, text, numbers, epoch-seconds timestamps) read
    by botocore's CBOR reader, then walked like a JSON document (unknown members, nested shapes)."""
    if shape is None or not body:
        return {}, []
    try:
        document = RpcV2CBORParser()._initial_body_parse(body)
    except Exception as e:  # botocore raises several kinds on a malformed item
        return {}, [("", "invalid-body", f"not CBOR: {e}")]
    problems = []
    return _read_json(document, shape, problems, "") or {}, problems


# --- rest-json and rest-xml -------------------------------------------------------------------------


def _read_xml(element, shape, problems, path):
    kind = shape.type_name
    if kind == "structure":
        out = {}
        children = list(element)
        for name, member in shape.members.items():
            if member.serialization.get("xmlAttribute"):
                continue
            wire = member.serialization.get("name", name)
            if member.type_name == "list" and member.serialization.get("flattened"):
                item_name = member.member.serialization.get("name", wire)
                found = [c for c in children if _local(c.tag) == item_name]
                if found:
                    out[name] = [_read_xml(c, member.member, problems, f"{path}.{name}[{i}]") for i, c in enumerate(found)]
                    children = [c for c in children if c not in found]
                continue
            found = [c for c in children if _local(c.tag) == wire]
            if len(found) > 1:
                problems.append((f"{path}.{name}", "duplicate-key", f"<{wire}> more than once"))
            if found:
                out[name] = _read_xml(found[0], member, problems, f"{path}.{name}")
                children = [c for c in children if c not in found]
        for child in children:
            problems.append((f"{path}.{_local(child.tag)}", "unknown-member", f"<{_local(child.tag)}> is no member of {shape.name}"))
        return out
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        items = []
        for i, child in enumerate(element):
            if _local(child.tag) != item_name:
                problems.append((f"{path}[{i}]", "unknown-member", f"<{_local(child.tag)}> where <{item_name}> belongs"))
                continue
            items.append(_read_xml(child, shape.member, problems, f"{path}[{i}]"))
        return items
    if kind == "map":
        out = {}
        for entry in element:
            key = entry.find("key")
            value = entry.find("value")
            if key is not None and value is not None:
                out[key.text] = _read_xml(value, shape.value, problems, f"{path}{{{key.text}}}")
        return out
    return scalar(element.text or "", shape, path, problems)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _header_value(text, shape, path, problems):
    if shape.type_name == "list":
        return [scalar(part.strip(), shape.member, path, problems) for part in text.split(",")]
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        return text
    return scalar(text, shape, path, problems)


def _parse_rest(request, op, protocol):
    shape = op.input_shape
    problems = []
    params = {}
    if shape is None:
        return params, problems
    template_path, literals = template_parts(op.http.get("requestUri", "/"))
    labels = match_path(template_path, request.path) or {}
    query = request.query_pairs()
    consumed_query = {key for key, _ in literals}
    if dict(query).get("x-id") == op.name:
        consumed_query.add("x-id")
    body_members = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                params[name] = scalar(labels[wire], member, name, problems)
        elif location == "querystring":
            if member.type_name == "map":
                rest = {k: v for k, v in query if k not in consumed_query}
                if rest:
                    params[name] = rest
                    consumed_query.update(rest)
                continue
            values = [v for k, v in query if k == wire]
            if values:
                consumed_query.add(wire)
                if member.type_name == "list":
                    params[name] = [scalar(v, member.member, name, problems) for v in values]
                else:
                    params[name] = scalar(values[-1], member, name, problems)
        elif location == "header":
            value = request.header(wire)
            if value is not None:
                params[name] = _header_value(value, member, name, problems)
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix):]: v for k, v in request.headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        else:
            body_members.append(name)
    for key, value in query:
        if key not in consumed_query:
            problems.append((key, "unknown-member", f"query parameter {key}={_short(value)} is no input member"))

    payload = shape.serialization.get("payload")
    body = request.body
    if payload:
        member = shape.members[payload]
        if member.type_name in ("blob", "string"):
            if body:
                params[payload] = body if member.type_name == "blob" else body.decode("utf-8")
        elif body.strip():
            if protocol == "rest-xml":
                try:
                    root = ET.fromstring(body)
                except ET.ParseError as e:
                    return params, problems + [(payload, "invalid-body", f"not XML: {e}")]
                wire = member.serialization.get("name", payload)
                if _local(root.tag) != wire:
                    problems.append((payload, "unknown-member", f"root element <{_local(root.tag)}>, the model says <{wire}>"))
                params[payload] = _read_xml(root, member, problems, payload)
            else:
                value, more = _parse_json_body(body, member)
                params[payload] = value
                problems.extend((f"{payload}.{p}", rule, detail) for p, rule, detail in more)
    elif body.strip():
        if protocol == "rest-xml" and body_members:
            # Route 53: the body members are children of one root element named after the input
            # (`<ChangeResourceRecordSetsRequest>`), with no payload member.
            try:
                root = ET.fromstring(body)
            except ET.ParseError as e:
                return params, problems + [("", "invalid-body", f"not XML: {e}")]
            wire = shape.serialization.get("name") or shape.name
            if _local(root.tag) != wire:
                problems.append(("", "unknown-member", f"root element <{_local(root.tag)}>, the model says <{wire}>"))
            value = _read_xml(root, shape, problems, "")
            params.update({k: v for k, v in value.items() if k in body_members})
        elif protocol == "rest-xml":
            problems.append(("", "invalid-body", "a body where the operation takes none"))
        else:
            value, more = _parse_json_body(body, shape)
            problems.extend(more)
            for name, item in value.items():
                if name in body_members:
                    params[name] = item
                else:
                    problems.append((name, "unknown-member", f"{name} belongs in the {shape.members[name].serialization.get('location')}, not the body"))
    return params, problems


def _short(value, limit=60):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."
