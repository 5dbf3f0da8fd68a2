"""Write data/aws-names.json: the names AWS knows, so `validate` catches a typo before any AWS call.

    /work/main/.venv-contract/bin/python scripts/aws-names/generate.py     (any python with botocore)

From botocore's own copies of AWS's service models and endpoint data (the version is recorded):
- regions: every region of every partition in endpoints.json;
- EC2 instance types: the `InstanceType` enum of the EC2 model (ec2 service-2.json). EMR runs its nodes on
  EC2 instance types and its model has no list of its own (EMR supports a subset per release, which only
  its ListSupportedInstanceTypes call knows), so Spark's instance types are checked against this list too;
- RDS for MySQL DB instance classes: RDS's model has no enum of classes (DBInstanceClass is a plain
  string), so they are derived: `db.` + every EC2 instance type of the families RDS for MySQL offers as DB
  instances, as listed in RDS_MYSQL_FAMILIES below with the page each family was read from. Sizes AWS
  offers for EC2 but not for RDS (e.g. `db.t3.nano`) are therefore accepted, and a family RDS adds after
  the pages below is refused until it is added here.

The table is dated; re-run this script (and commit the result) to take in what AWS has added since.
"""

import datetime
import json
import os
import sys

import botocore
import botocore.session

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "data", "aws-names.json")

ARCHIVED_TABLE = (
    "https://github.com/awsdocs/amazon-rds-user-guide/blob/main/doc_source/Concepts.DBInstanceClass.md "
    "(the RDS User Guide's 'Supported DB engines for DB instance classes' table, MySQL column; the "
    "current page is https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html)"
)
OPTIMIZED_READS = (
    "https://aws.amazon.com/blogs/aws/new-amazon-rds-optimized-reads-and-optimized-writes/ (RDS for MySQL "
    "Optimized Reads on r5d, m5d, r6gd and m6gd DB instances)"
)
GRAVITON = (
    "https://aws.amazon.com/blogs/database/leveling-up-amazon-rds-with-aws-graviton4-benchmarks/ (M8g and R8g "
    "for RDS for MySQL, PostgreSQL and MariaDB, against the Graviton3 m7g/r7g and Graviton2 classes RDS offers)"
)

# Family -> where it is documented as an RDS for MySQL DB instance class. Families the table lists for
# MySQL only as Multi-AZ DB clusters (which clusterup does not make) are left out unless another page
# documents them for DB instances.
RDS_MYSQL_FAMILIES = {
    "m3": ARCHIVED_TABLE,
    "m4": ARCHIVED_TABLE,
    "m5": ARCHIVED_TABLE,
    "m5d": OPTIMIZED_READS,
    "m6g": ARCHIVED_TABLE,
    "m6gd": OPTIMIZED_READS,
    "m6i": ARCHIVED_TABLE,
    "m7g": GRAVITON,
    "m8g": GRAVITON,
    "r3": ARCHIVED_TABLE,
    "r4": ARCHIVED_TABLE,
    "r5": ARCHIVED_TABLE,
    "r5b": ARCHIVED_TABLE,
    "r5d": OPTIMIZED_READS,
    "r6g": ARCHIVED_TABLE,
    "r6gd": OPTIMIZED_READS,
    "r6i": ARCHIVED_TABLE,
    "r7g": GRAVITON,
    "r8g": GRAVITON,
    "t2": ARCHIVED_TABLE,
    "t3": ARCHIVED_TABLE,
    "t4g": ARCHIVED_TABLE,
    "x2g": ARCHIVED_TABLE,
}

# RDS families whose EC2 counterpart is named otherwise: RDS's db.x2g classes are Graviton2 X2gd machines
# (EC2 names the family after its local NVMe disk, which RDS does not expose), in the same sizes.
EC2_FAMILY_OF = {"x2g": "x2gd"}


def main():
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    endpoints = loader.load_data("endpoints")
    regions = sorted({r for partition in endpoints["partitions"] for r in partition["regions"]})
    ec2 = session.get_service_model("ec2")
    instance_types = sorted(ec2.shape_for("InstanceType").enum)
    families = {}
    for instance_type in instance_types:
        families.setdefault(instance_type.split(".", 1)[0], []).append(instance_type)
    missing = [f for f in RDS_MYSQL_FAMILIES if EC2_FAMILY_OF.get(f, f) not in families]
    if missing:
        sys.exit(f"aws-names: no EC2 instance types for the RDS families {missing}; check RDS_MYSQL_FAMILIES")
    db_classes = sorted(
        f"db.{f}.{t.split('.', 1)[1]}" for f in RDS_MYSQL_FAMILIES for t in families[EC2_FAMILY_OF.get(f, f)]
    )
    table = {
        "generated_on": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "generated_by": "scripts/aws-names/generate.py",
        "botocore": botocore.__version__,
        "sources": {
            "regions": "botocore/data/endpoints.json: every region of every partition",
            "ec2_instance_types": "botocore/data/ec2/2016-11-15/service-2.json: shape InstanceType, its enum "
            "(also used for EMR's nodes, which run on EC2 instance types; EMR's model has no list)",
            "rds_mysql_instance_classes": "RDS's model has no enum of classes: db. + the EC2 instance types of "
            "the families in rds_mysql_families, each with the page that documents it for RDS for MySQL "
            "(db.x2g from EC2's x2gd sizes)",
        },
        "rds_mysql_families": RDS_MYSQL_FAMILIES,
        "regions": regions,
        "ec2_instance_types": instance_types,
        "rds_mysql_instance_classes": db_classes,
    }
    with open(OUT, "w") as out:
        json.dump(table, out, indent=1)
        out.write("\n")
    print(f"aws-names: wrote {OUT}: {len(regions)} regions, {len(instance_types)} EC2 instance types, "
          f"{len(db_classes)} RDS for MySQL classes (botocore {botocore.__version__})")


if __name__ == "__main__":
    main()
