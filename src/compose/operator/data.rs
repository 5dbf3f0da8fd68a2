//! The data tier: the RDS database (named after the deployment and tagged), the EFS file system and
//! access point (ids, so by tag), and what RDS does with the caller's permissions when it makes the
//! database's managed master password.

use serde_json::{json, Value};

use super::{allow, Scope};
use crate::model::names;

pub fn statements(scope: &Scope) -> Vec<Value> {
    let db = names::database::identifier(scope.deployment());
    let rds = |resource: String| scope.arn("rds", &resource);
    let resources = vec![
        rds(format!("db:{db}")),
        // The read replicas, `<deployment>-db-replica-<n>`, n from 1 to 5: `?` is one character, which
        // keeps deployment `a` off deployment `a-db-replica`'s database (`a-db-replica-db`).
        rds(format!("db:{db}-replica-?")),
        rds(format!("subgrp:{db}")),
        // `<deployment>-db-mysql8-4`: `mysql` keeps deployment `a` off deployment `a-db`'s groups.
        rds(format!("pg:{db}-mysql*")),
    ];
    // The final snapshot, `<deployment>-final-<YYYYMMDDhhmmss>`: made by DeleteDBInstance, which carries
    // no tags. The `2` of the year keeps deployment `a` off deployment `a-final`'s (`a-final-final-...`).
    let snapshots = rds(format!("snapshot:{}-final-2*", scope.deployment()));
    let mut created = resources.clone();
    created.push(snapshots.clone());
    // CreateDBInstanceReadReplica is authorised on the option group the replica takes, the engine's
    // default (clusterup sets none).
    created.push(rds("og:default:mysql*".to_owned()));
    // What `database.restore_from` and `clusterup snapshots` read: the database's snapshots by name,
    // the final ones and RDS's automated ones (`rds:<deployment>-db-<date>`; the `2` of the year keeps
    // deployment `a` off deployment `a-db`'s, `rds:a-db-db-...`).
    let restorable = vec![snapshots.clone(), rds(format!("snapshot:rds:{db}-2*"))];
    let mut restored = resources.clone();
    // RestoreDBInstanceFromDBSnapshot is authorised on the option group too (required), and on the
    // engine family's default parameter group when the snapshot is of another family (`restore.rs`):
    // AWS's default groups, which every restore of a MySQL snapshot uses.
    restored.extend([rds("pg:default.mysql*".to_owned()), rds("og:default:mysql*".to_owned())]);
    restored.extend(restorable.iter().cloned());
    let efs = |kind: &str| scope.arn("elasticfilesystem", &format!("{kind}/*"));
    // Secrets under the deployment's own prefix (`clusterup/<deployment>/`), whatever suffix Secrets
    // Manager appends, and before it exists (CreateSecret, DescribeSecret of a name).
    let kept = scope.arn("secretsmanager", &format!("secret:clusterup/{}/*", scope.deployment()));
    vec![
        allow(
            "DatabaseCreateTagged",
            &[
                "rds:AddTagsToResource",
                "rds:CreateDBInstance",
                "rds:CreateDBInstanceReadReplica",
                "rds:CreateDBParameterGroup",
                "rds:CreateDBSnapshot",
                "rds:CreateDBSubnetGroup",
            ],
            created,
            Some(scope.tagged_on_create()),
        ),
        allow(
            "DatabaseChangeOwn",
            &[
                "rds:AddTagsToResource",
                "rds:CreateDBInstance",
                "rds:CreateDBInstanceReadReplica",
                "rds:CreateDBSnapshot",
                "rds:DeleteDBInstance",
                "rds:DeleteDBParameterGroup",
                "rds:DeleteDBSubnetGroup",
                "rds:ModifyDBInstance",
                "rds:ModifyDBParameterGroup",
                "rds:ModifyDBSubnetGroup",
                "rds:RemoveTagsFromResource",
                "rds:ResetDBParameterGroup",
            ],
            resources.clone(),
            Some(scope.owned()),
        ),
        allow("DatabaseReadOwn", &["rds:DescribeDBParameters", "rds:ListTagsForResource"], resources, None),
        allow("DatabaseFinalSnapshot", &["rds:CreateDBSnapshot"], vec![snapshots], None),
        allow(
            "DatabaseSnapshotsRead",
            &["rds:DescribeDBSnapshots"],
            [vec![rds(format!("db:{db}"))], restorable].concat(),
            None,
        ),
        allow(
            "DatabaseRestoreTagged",
            &["rds:RestoreDBInstanceFromDBSnapshot"],
            restored,
            Some(scope.tagged_on_create()),
        ),
        // CreateDBInstance with ManageMasterUserPassword: RDS makes, tags and rotates the secret (`rds!db-`
        // and an id) and reads the key that encrypts it with the caller's permissions (Amazon RDS User
        // Guide, "Password management with Amazon RDS and AWS Secrets Manager", required permissions).
        allow(
            "DatabaseManagedSecret",
            &["secretsmanager:CreateSecret", "secretsmanager:RotateSecret", "secretsmanager:TagResource"],
            vec![scope.arn("secretsmanager", "secret:rds!db-*")],
            None,
        ),
        allow("DatabaseSecretKey", &["kms:DescribeKey"], vec![scope.arn("kms", "key/*")], None),
        // The password clusterup keeps for a database with read replicas: `clusterup/<deployment>/database`;
        // the `/` after the name keeps deployment `a` off `a-b`'s. Made
        // with the deployment's tags (CreateSecret's tags need TagResource too), changed and read only
        // while it carries them; DescribeSecret by name before it exists, where no tag can be checked.
        allow(
            "DatabaseKeptPasswordCreateTagged",
            &["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
            vec![kept.clone()],
            Some(scope.tagged_on_create()),
        ),
        allow(
            "DatabaseKeptPasswordOwn",
            &[
                "secretsmanager:DeleteSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
            ],
            vec![kept.clone()],
            Some(scope.owned()),
        ),
        allow("DatabaseKeptPasswordFind", &["secretsmanager:DescribeSecret"], vec![kept], None),
        // `clusterup snapshots`: the EFS automatic backups of the deployment, which AWS Backup tags as it
        // tagged the file system.
        allow(
            "FileSystemBackupsRead",
            &["backup:DescribeRecoveryPoint"],
            vec![scope.arn("backup", "recovery-point:*")],
            Some(scope.owned()),
        ),
        // EFS: CreateFileSystem names no resource (its ARN exists once it is made): only the tag scopes it.
        allow(
            "FileSystemCreateTagged",
            &["elasticfilesystem:CreateFileSystem"],
            vec!["*".into()],
            Some(scope.tagged_on_create()),
        ),
        // The tags of a create call, for those creates only (a tag put on another's file system would
        // make it this deployment's).
        allow(
            "FileSystemTagOnCreate",
            &["elasticfilesystem:TagResource"],
            vec![efs("file-system"), efs("access-point")],
            Some(json!({"StringEquals": {
                "aws:RequestTag/clusterup:deployment": scope.deployment(),
                "elasticfilesystem:CreateAction": ["CreateAccessPoint", "CreateFileSystem"]
            }})),
        ),
        allow(
            "FileSystemChangeOwn",
            &[
                "elasticfilesystem:CreateAccessPoint",
                "elasticfilesystem:CreateMountTarget",
                "elasticfilesystem:DeleteAccessPoint",
                "elasticfilesystem:DeleteFileSystem",
                "elasticfilesystem:DeleteFileSystemPolicy",
                "elasticfilesystem:DeleteMountTarget",
                "elasticfilesystem:DescribeAccessPoints",
                "elasticfilesystem:DescribeBackupPolicy",
                "elasticfilesystem:DescribeFileSystemPolicy",
                "elasticfilesystem:DescribeLifecycleConfiguration",
                "elasticfilesystem:DescribeMountTargetSecurityGroups",
                "elasticfilesystem:DescribeMountTargets",
                "elasticfilesystem:ModifyMountTargetSecurityGroups",
                "elasticfilesystem:PutBackupPolicy",
                "elasticfilesystem:PutFileSystemPolicy",
                "elasticfilesystem:PutLifecycleConfiguration",
                "elasticfilesystem:TagResource",
                "elasticfilesystem:UntagResource",
            ],
            vec![efs("file-system"), efs("access-point")],
            Some(scope.owned()),
        ),
    ]
}
