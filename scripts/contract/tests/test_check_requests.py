"""check_requests fails on planted defects, for every protocol clusterup's requests use.

Each case builds a valid request with botocore's own serializer (so the wire form is AWS's), proves the
checker passes it, then plants one defect at the wire level and proves the checker names it.
"""

import base64
import datetime
import json
import struct
import unittest
import urllib.parse

import botocore.parsers
import botocore.serialize

import check_requests
import models
import recording

SIGNING = {v: k for k, v in models.SERVICES.items()}


def request(service, operation, params, protocol=None):
    """A recorded request as clusterup's proxy would write it, serialised by botocore."""
    model = models.service_model(service)
    op = model.operation_model(operation)
    # The protocols clusterup's SDK speaks, unless told (the tagging API also offers CBOR, which the Rust
    # SDK does not use for it; for CloudWatch CBOR is the only one it speaks).
    protocol = protocol or next(p for p in model.metadata.get("protocols", [model.protocol]) if p != "smithy-rpc-v2-cbor")
    wire = botocore.serialize.create_serializer(protocol, include_validation=False).serialize_to_request(params, op)
    path, _, literal_query = wire["url_path"].partition("?")
    query = "&".join(q for q in [literal_query, urllib.parse.urlencode(wire["query_string"], doseq=True)] if q)
    if service == "s3":
        # The Rust SDK names S3 operations in `x-id` (S3's Smithy model), which botocore's model lacks.
        query = "&".join(q for q in [query, f"x-id={operation}"] if q)
    body = wire["body"]
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
    fields = {
        "service": SIGNING[service],
        "method": wire["method"],
        "path": path,
        "query": query,
        "headers": {k.lower(): v for k, v in wire["headers"].items()},
    }
    if isinstance(body, bytes):
        # Binary bodies (CBOR) are recorded base64-encoded, as tests/support/recording.rs writes them.
        try:
            fields["body"] = body.decode()
        except UnicodeDecodeError:
            fields["body_base64"] = base64.b64encode(body).decode()
    else:
        fields["body"] = body or ""
    return recording.Request(fields, 1)


def findings(req):
    found, _stats, _ops, _uncheckable = check_requests.check([req])
    return {(key[2], key[3]) for key in found}


def form_edit(req, drop=None, set_=None):
    pairs = [(k, v) for k, v in req.form() if k != drop]
    if set_:
        pairs = [(k, set_.get(k, v)) for k, v in pairs] + [(k, v) for k, v in set_.items() if k not in dict(pairs)]
    req.body = urllib.parse.urlencode(pairs).encode()
    return req


def json_edit(req, edit):
    document = json.loads(req.body or b"{}")
    edit(document)
    req.body = json.dumps(document).encode()
    return req


class QueryProtocol(unittest.TestCase):
    """elbv2 CreateTargetGroup (query: `.member.N` lists)."""

    def valid(self):
        return request("elbv2", "CreateTargetGroup", {
            "Name": "app", "Protocol": "HTTP", "Port": 8080, "VpcId": "vpc-1", "HealthCheckIntervalSeconds": 15,
            "Tags": [{"Key": "team", "Value": "bi"}],
        })

    def test_valid_request_passes(self):
        self.assertEqual(findings(self.valid()), set())

    def test_missing_required_member(self):
        self.assertIn(("Name", "required"), findings(form_edit(self.valid(), drop="Name")))

    def test_enum_value_that_does_not_exist(self):
        self.assertIn(("Protocol", "enum"), findings(form_edit(self.valid(), set_={"Protocol": "HTTPX"})))

    def test_string_too_long(self):
        req = form_edit(self.valid(), set_={"Tags.member.1.Key": "k" * 129})
        self.assertIn(("Tags[].Key", "string-length"), findings(req))

    def test_number_out_of_range(self):
        req = form_edit(self.valid(), set_={"HealthCheckIntervalSeconds": "301"})
        self.assertIn(("HealthCheckIntervalSeconds", "range"), findings(req))

    def test_unknown_member(self):
        self.assertIn(("Bogus", "unknown-member"), findings(form_edit(self.valid(), set_={"Bogus": "1"})))

    def test_list_in_the_wrong_serialisation(self):
        # EC2-style `Tags.1.Key` is not how the query protocol sends a non-flattened list.
        req = self.valid()
        req.body = req.body.replace(b"Tags.member.1", b"Tags.1")
        self.assertIn(("Tags.1.Key", "unknown-member"), findings(req))

    def test_wrong_api_version(self):
        self.assertIn(("Version", "wrong-version"), findings(form_edit(self.valid(), set_={"Version": "2012-06-01"})))


class Ec2Protocol(unittest.TestCase):
    """ec2 CreateNatGateway (ec2: capitalised locationNames, `Name.N` lists) and DescribeVpcs filters."""

    def valid(self):
        return request("ec2", "CreateNatGateway", {
            "SubnetId": "subnet-1", "AllocationId": "eipalloc-1", "ClientToken": "t",
            "TagSpecifications": [{"ResourceType": "natgateway", "Tags": [{"Key": "team", "Value": "bi"}]}],
        })

    def test_valid_requests_pass(self):
        self.assertEqual(findings(self.valid()), set())
        describe = request("ec2", "DescribeVpcs", {"Filters": [{"Name": "tag:team", "Values": ["a", "b"]}]})
        self.assertIn(b"Filter.1.Value.2=b", describe.body)
        self.assertEqual(findings(describe), set())

    def test_missing_required_member(self):
        req = request("ec2", "CreateSubnet", {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"})
        self.assertEqual(findings(req), set())
        self.assertIn(("VpcId", "required"), findings(form_edit(req, drop="VpcId")))

    def test_enum_value_that_does_not_exist(self):
        req = form_edit(self.valid(), set_={"TagSpecification.1.ResourceType": "nat-gateway"})
        self.assertIn(("TagSpecifications[].ResourceType", "enum"), findings(req))

    def test_string_too_long(self):
        req = request("ec2", "CreateLaunchTemplate", {
            "LaunchTemplateName": "lt", "VersionDescription": "v", "LaunchTemplateData": {"InstanceType": "t3.large"},
        })
        self.assertEqual(findings(req), set())
        req = form_edit(req, set_={"VersionDescription": "v" * 256})
        self.assertIn(("VersionDescription", "string-length"), findings(req))

    def test_number_out_of_range(self):
        req = form_edit(self.valid(), set_={"SecondaryPrivateIpAddressCount": "32"})
        self.assertIn(("SecondaryPrivateIpAddressCount", "range"), findings(req))

    def test_unknown_member(self):
        # The query protocol's `.member.N` is not EC2's list form.
        req = self.valid()
        req.body = req.body.replace(b"TagSpecification.1.Tag.1", b"TagSpecification.1.Tag.member.1")
        self.assertIn(("TagSpecification.1.Tag.member.1.Key", "unknown-member"), findings(req))


class JsonProtocol(unittest.TestCase):
    """ssm PutParameter (json 1.1, X-Amz-Target)."""

    def valid(self):
        return request("ssm", "PutParameter", {"Name": "/clusterup/x/lock", "Value": "v", "Type": "String"})

    def test_valid_request_passes(self):
        self.assertEqual(findings(self.valid()), set())

    def test_missing_required_member(self):
        self.assertIn(("Name", "required"), findings(json_edit(self.valid(), lambda d: d.pop("Name"))))

    def test_enum_value_that_does_not_exist(self):
        self.assertIn(("Type", "enum"), findings(json_edit(self.valid(), lambda d: d.update(Type="Text"))))

    def test_string_too_long(self):
        req = json_edit(self.valid(), lambda d: d.update(Description="d" * 1025))
        self.assertIn(("Description", "string-length"), findings(req))

    def test_number_out_of_range(self):
        req = request("ssm", "GetParametersByPath", {"Path": "/clusterup", "MaxResults": 10})
        self.assertEqual(findings(req), set())
        self.assertIn(("MaxResults", "range"), findings(json_edit(req, lambda d: d.update(MaxResults=11))))

    def test_unknown_member(self):
        self.assertIn(("Overwritten", "unknown-member"), findings(json_edit(self.valid(), lambda d: d.update(Overwritten=True))))

    def test_target_of_another_service(self):
        req = self.valid()
        req.headers["x-amz-target"] = "AmazonSSMv2.PutParameter"
        self.assertIn(("(request)", "unidentified"), findings(req))


class RestJsonProtocol(unittest.TestCase):
    """efs (rest-json: URI labels, querystring, JSON body)."""

    def valid(self):
        return request("efs", "CreateFileSystem", {
            "CreationToken": "clusterup-x-data", "PerformanceMode": "generalPurpose", "Encrypted": True,
        })

    def test_valid_requests_pass(self):
        self.assertEqual(findings(self.valid()), set())
        lifecycle = request("efs", "PutLifecycleConfiguration", {
            "FileSystemId": "fs-01234567", "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}],
        })
        self.assertEqual(findings(lifecycle), set())

    def test_missing_required_member(self):
        self.assertIn(("CreationToken", "required"), findings(json_edit(self.valid(), lambda d: d.pop("CreationToken"))))

    def test_enum_value_that_does_not_exist(self):
        req = json_edit(self.valid(), lambda d: d.update(PerformanceMode="fast"))
        self.assertIn(("PerformanceMode", "enum"), findings(req))

    def test_string_too_long(self):
        req = json_edit(self.valid(), lambda d: d.update(CreationToken="t" * 65))
        self.assertIn(("CreationToken", "string-length"), findings(req))

    def test_number_out_of_range(self):
        req = request("efs", "DescribeFileSystems", {"MaxItems": 10})
        self.assertEqual(findings(req), set())
        req.query = "MaxItems=0"
        self.assertIn(("MaxItems", "invalid-range"), findings(req))

    def test_unknown_member_in_body_and_query(self):
        self.assertIn(("Backups", "unknown-member"), findings(json_edit(self.valid(), lambda d: d.update(Backups=True))))
        req = request("efs", "DescribeFileSystems", {"CreationToken": "t"})
        req.query += "&Token=t"
        self.assertIn(("Token", "unknown-member"), findings(req))

    def test_uri_label_against_its_pattern(self):
        req = request("efs", "DescribeLifecycleConfiguration", {"FileSystemId": "fs-01234567"})
        self.assertEqual(findings(req), set())
        req.path = req.path.replace("fs-01234567", "data")
        self.assertIn(("FileSystemId", "pattern"), findings(req))


class RestXmlProtocol(unittest.TestCase):
    """s3 (rest-xml: bucket label, `?tagging` literal, XML payload)."""

    def valid(self):
        return request("s3", "PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "team", "Value": "bi"}]}})

    def test_valid_request_passes(self):
        self.assertEqual(findings(self.valid()), set())

    def test_missing_required_member(self):
        req = self.valid()
        req.body = req.body.replace(b"<Key>team</Key>", b"")
        self.assertIn(("Tagging.TagSet[].Key", "required"), findings(req))

    def test_unknown_member(self):
        req = self.valid()
        req.body = req.body.replace(b"</TagSet>", b"</TagSet><Owner>x</Owner>")
        self.assertIn(("Tagging.Owner", "unknown-member"), findings(req))


def cbor(value):
    """A CBOR data item for plain Python values, whatever a shape says (to plant what botocore's own
    serializer refuses to write)."""

    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        raise ValueError(n)

    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, datetime.datetime):
        return b"\xc1" + cbor(value.timestamp())
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(value)


def cbor_edit(req, edit):
    document = botocore.parsers.RpcV2CBORParser()._initial_body_parse(req.body)
    edit(document)
    req.body = cbor(document)
    return req


class RpcV2CborProtocol(unittest.TestCase):
    """cloudwatch GetMetricData (smithy-rpc-v2-cbor: the operation in the path, a CBOR body)."""

    def valid(self):
        now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)
        metric = {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount"}
        query = {"Id": "requests", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"}}
        params = {"MetricDataQueries": [query], "StartTime": now - datetime.timedelta(minutes=5), "EndTime": now}
        return request("cloudwatch", "GetMetricData", params, protocol="smithy-rpc-v2-cbor")

    def test_valid_request_passes(self):
        req = self.valid()
        self.assertEqual(models.protocol_of(req), "smithy-rpc-v2-cbor")
        self.assertEqual(findings(req), set())
        # Re-encoded by hand, the same request still passes: the edits below change only what they plant.
        self.assertEqual(findings(cbor_edit(self.valid(), lambda d: None)), set())

    def test_missing_required_member(self):
        self.assertIn(("StartTime", "required"), findings(cbor_edit(self.valid(), lambda d: d.pop("StartTime"))))

    def test_string_too_long(self):
        req = cbor_edit(self.valid(), lambda d: d["MetricDataQueries"][0].update(Id="i" * 256))
        self.assertIn(("MetricDataQueries[].Id", "string-length"), findings(req))

    def test_unknown_member(self):
        req = cbor_edit(self.valid(), lambda d: d.update(Metrics=["x"]))
        self.assertIn(("Metrics", "unknown-member"), findings(req))

    def test_operation_of_another_service(self):
        req = self.valid()
        req.path = "/service/AmazonSSM/operation/GetMetricData"
        self.assertIn(("(request)", "unidentified"), findings(req))


if __name__ == "__main__":
    unittest.main()
