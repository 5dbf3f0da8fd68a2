//! The database instance's properties, apart from its CRUD so that `changes` (what a change means while
//! RDS makes it), `cost` and `refusals` read them without the instance's module reading them back in a
//! circle.

use crate::model::{Compare, Prop};

/// The instance's name. Its subnet and parameter groups share it, so it also orders the deletion of the
/// instance before theirs.
pub const IDENTIFIER: Prop = Prop::new("identifier").replaces();
pub const ENGINE: Prop = Prop::new("engine").replaces();
/// `8.4` matches whatever `8.4.x` RDS picked.
pub const ENGINE_VERSION: Prop = Prop::new("engine_version").compared(Compare::VersionPrefix);
pub const INSTANCE_CLASS: Prop = Prop::new("instance_class");
pub const STORAGE_GB: Prop = Prop::new("storage_gb");
pub const STORAGE_TYPE: Prop = Prop::new("storage_type");
pub const ENCRYPTED: Prop = Prop::new("encrypted").replaces();
pub const MULTI_AZ: Prop = Prop::new("multi_az");
pub const BACKUP_RETENTION_DAYS: Prop = Prop::new("backup_retention_days");
/// The subnet group's name.
pub const SUBNET_GROUP: Prop = Prop::new("subnet_group");
/// The name of the parameter group of the engine's family.
pub const PARAMETER_GROUP: Prop = Prop::new("parameter_group");
/// `immediately` or `maintenance_window`: when RDS makes changes (not something RDS keeps).
pub const APPLY_CHANGES: Prop = Prop::new("apply_changes").compared(Compare::Setting);
pub const SECURITY_GROUPS: Prop = Prop::new("security_groups");
pub const DELETION_PROTECTION: Prop = Prop::new("deletion_protection");
/// The master password is RDS's, kept in Secrets Manager: true unless the database keeps a password of
/// clusterup's (read replicas; see `resources::secretsmanager::password`).
pub const MANAGED_PASSWORD: Prop = Prop::new("managed_password");
/// Create-only: the ARN of the kept password's secret, whose password CreateDBInstance (or the
/// ModifyDBInstance after a restore) sets; absent when RDS manages the password.
pub const PASSWORD_SECRET: Prop = Prop::new("password_secret");
/// Create-only: RDS does not let it change.
pub const MASTER_USERNAME: Prop = Prop::new("master_username");
/// Create-only: the DB snapshot the database is made from (`{snapshot, taken, engine_version}`), when
/// `database.restore_from` is set and the database does not exist yet.
pub const RESTORE_FROM: Prop = Prop::new("restore_from");
