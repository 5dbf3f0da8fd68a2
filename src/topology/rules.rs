//! Pure syntax rules for single values: names, identifiers, CIDRs, durations.
//!
//! Each check returns `Err(message)` with a sentence a user can act on. They know nothing about serde or
//! YAML, so `types.rs` (at parse time) and `validate.rs` (cross-field rules) share them, and they are easy
//! to test on their own.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::model::Cidr;

/// Longest deployment name. Resource names are derived from it (`<name>-alb`, `<name>-db`, target
/// groups, EMR cluster names) and the tightest AWS limit is 32 characters for ALB and target group
/// names; 21 leaves room for the longest suffix clusterup appends.
pub const NAME_MAX: usize = 21;

/// Tags AWS lets one resource carry is 50; clusterup adds its own few, so users get 40.
pub const MAX_USER_TAGS: usize = 40;

/// The accepted `<integer><unit>` units and their length in seconds, largest first (for formatting).
const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

pub const DURATION_HINT: &str = "expected a duration such as 30s, 5m, 1h or 7d";

pub fn deployment_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("the name is empty; expected lowercase letters, digits and hyphens, e.g. smarten-prod".into());
    };
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!(
            "`{name}` contains {}; use lowercase letters, digits and hyphens only",
            describe_char(bad)
        ));
    }
    if !first.is_ascii_lowercase() {
        return Err(format!("`{name}` must start with a lowercase letter"));
    }
    let len = name.chars().count();
    if len > NAME_MAX {
        return Err(format!(
            "`{name}` is {len} characters; at most {NAME_MAX} are allowed so that the AWS names built \
             from it (load balancer and target group: 32 characters at most) fit"
        ));
    }
    if name.contains("--") {
        return Err(format!("`{name}` contains `--`; RDS identifiers cannot have two hyphens in a row"));
    }
    if name.ends_with('-') {
        return Err(format!("`{name}` ends with a hyphen; RDS identifiers cannot"));
    }
    Ok(())
}

/// "1 zone", "3 zones".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `^[a-z]{2}(-[a-z]+)+-\d+$`, e.g. `us-east-1`, `us-gov-west-1`.
pub fn region(region: &str) -> Result<(), String> {
    if is_region(region) {
        super::names::check(super::names::Known::Region, region)
    } else {
        Err(format!("`{region}` is not an AWS region name; expected e.g. us-east-1 or eu-west-2"))
    }
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && is_digits(parts[parts.len() - 1])
}

/// A zone name is its region followed by one letter: `us-east-1a`.
pub fn zone_name(zone: &str) -> Result<(), String> {
    match zone.char_indices().last() {
        Some((i, c)) if c.is_ascii_lowercase() && is_region(&zone[..i]) => Ok(()),
        _ => Err(format!(
            "`{zone}` is not an availability zone name; expected the region followed by a letter, e.g. us-east-1a"
        )),
    }
}

/// The region a zone name belongs to (`us-east-1a` -> `us-east-1`); call after [`zone_name`].
pub fn zone_region(zone: &str) -> &str {
    zone.char_indices().last().map_or(zone, |(i, _)| &zone[..i])
}

/// An IPv4 network for a VPC: prefix /16 to /24 (AWS allows /16../28; /24 still leaves room for the
/// public and private subnets of six zones), host bits zero, and not a range AWS refuses for VPCs.
pub fn cidr(text: &str) -> Result<Cidr, String> {
    let Some((addr, prefix)) = text.split_once('/') else {
        return Err(format!("`{text}` is not a CIDR block; expected an IPv4 network such as 10.20.0.0/16"));
    };
    let addr: Ipv4Addr = addr.parse().map_err(|_| {
        format!("`{addr}` in `{text}` is not an IPv4 address; expected four numbers 0-255, e.g. 10.20.0.0/16")
    })?;
    let prefix: u8 = match prefix.parse() {
        Ok(p) if is_digits(prefix) && p <= 32 => p,
        _ => return Err(format!("`/{prefix}` in `{text}` is not a prefix length; expected /16 to /24")),
    };
    if !(16..=24).contains(&prefix) {
        return Err(format!("the prefix of `{text}` is /{prefix}; a VPC here must be /16 to /24"));
    }
    let bits = u32::from(addr);
    let mask = u32::MAX << (32 - u32::from(prefix));
    if bits & !mask != 0 {
        let network = Ipv4Addr::from(bits & mask);
        return Err(format!("`{text}` has host bits set; did you mean {network}/{prefix}?"));
    }
    let first = addr.octets()[0];
    if first == 0 || first == 127 || first >= 224 || (first == 169 && addr.octets()[1] == 254) {
        return Err(format!(
            "`{text}` is a reserved range (this-network, loopback, link-local or multicast); use a \
             private range such as 10.0.0.0/16, 172.16.0.0/16 or 192.168.0.0/16"
        ));
    }
    Ok(Cidr { addr, prefix })
}

/// Parse `<integer><unit>` (s, m, h, d). Compound forms such as `1h30m` are refused on purpose: one
/// spelling per value keeps diffs and reviews simple.
pub fn duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration; {DURATION_HINT}");
    let unit = text.chars().last().ok_or_else(bad)?;
    let number = &text[..text.len() - unit.len_utf8()];
    let seconds_per = UNITS.iter().find(|(u, _)| *u == unit).map(|(_, s)| *s).ok_or_else(bad)?;
    if !is_digits(number) {
        return Err(bad());
    }
    let n: u64 = number.parse().map_err(|_| bad())?;
    n.checked_mul(seconds_per).map(Duration::from_secs).ok_or_else(|| format!("`{text}` is too long a duration"))
}

/// Render a whole number of seconds in the largest unit that divides it: 300 -> `5m`, 4000 -> `4000s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    for (unit, per) in UNITS {
        if secs != 0 && secs.is_multiple_of(per) {
            return format!("{}{unit}", secs / per);
        }
    }
    format!("{secs}s")
}

/// `^[a-z][a-z0-9-]*\.[a-z0-9]+$`, e.g. `t3.large`, `m5.xlarge`, `c7gn.16xlarge`.
pub fn instance_type(text: &str) -> Result<(), String> {
    let ok = text.split_once('.').is_some_and(|(family, size)| {
        family.starts_with(|c: char| c.is_ascii_lowercase())
            && family.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && is_lower_alnum(size)
    });
    if ok {
        super::names::check(super::names::Known::InstanceType, text)
    } else {
        Err(format!("`{text}` is not an EC2 instance type; expected e.g. t3.large or m5.xlarge"))
    }
}

/// `^db\.[a-z0-9]+\.[a-z0-9]+$`, e.g. `db.t3.medium`.
pub fn db_instance_class(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() == 3 && parts[0] == "db" && is_lower_alnum(parts[1]) && is_lower_alnum(parts[2]) {
        super::names::check(super::names::Known::DbInstanceClass, text)
    } else {
        Err(format!("`{text}` is not an RDS instance class; expected e.g. db.t3.medium or db.r6g.large"))
    }
}

/// `latest`, or a DB snapshot identifier as CreateDBSnapshot names them (botocore's RDS model,
/// `DBSnapshotIdentifier`: "1 to 255 letters, numbers, or hyphens; first character must be a letter;
/// can't end with a hyphen or contain two consecutive hyphens"), or an automated snapshot's, which
/// RDS names `rds:<instance>-<date>` (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html).
/// Snapshot identifiers are case-insensitive to RDS, which stores them in lowercase.
pub fn db_snapshot_ref(text: &str) -> Result<(), String> {
    if text == "latest" {
        return Ok(());
    }
    let name = text.strip_prefix("rds:").unwrap_or(text);
    let fault = if name.is_empty() || name.len() > 255 {
        Some("has to be 1 to 255 characters")
    } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some("has to start with a letter")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Some("may hold only letters, digits and hyphens (and an automated snapshot's `rds:` prefix)")
    } else if name.ends_with('-') || name.contains("--") {
        Some("cannot end with a hyphen or hold two in a row")
    } else {
        None
    };
    match fault {
        Some(fault) => Err(format!(
            "`{text}` is not an RDS DB snapshot identifier: it {fault}; expected `latest` or an identifier \
             such as shop-final-20261206120000 (list them with `clusterup snapshots NAME`)"
        )),
        None => Ok(()),
    }
}

/// RDS MySQL major versions clusterup supports, optionally with a minor version: `8.0`, `8.0.39`.
pub fn engine_version(text: &str) -> Result<(), String> {
    let (major, minor) = match text.get(..3).map(|m| (m, &text[3..])) {
        Some((major, rest)) => (major, rest),
        None => ("", text),
    };
    let minor_ok = minor.is_empty() || minor.strip_prefix('.').is_some_and(is_digits);
    if ["5.7", "8.0", "8.4"].contains(&major) && minor_ok {
        Ok(())
    } else if text.starts_with("9.") {
        // RDS lists MySQL 9.x only under "MySQL version 9.x in the Database Preview environment"
        // (MySQL.Concepts.VersionMgmt), a separate environment where CreateDBInstance in a normal
        // region does not offer it.
        Err(format!(
            "`{text}` is not a supported MySQL version: RDS offers MySQL 9 only in its Database Preview \
             environment, not for production DB instances; use 5.7, 8.0 or 8.4 (8.4 is the current LTS)"
        ))
    } else {
        Err(format!(
            "`{text}` is not a supported MySQL version; use 5.7, 8.0 or 8.4, optionally with a minor \
             version such as 8.0.39 (and quote it: \"8.0\")"
        ))
    }
}

/// `emr-<major>.<minor>.<patch>`.
pub fn emr_release(text: &str) -> Result<(), String> {
    let ok = text.strip_prefix("emr-").is_some_and(|v| {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| is_digits(p))
    });
    if ok {
        Ok(())
    } else {
        Err(format!("`{text}` is not an EMR release label; expected e.g. emr-7.14.0"))
    }
}

/// `<prefix>-` followed by 8 or 17 lowercase hex digits (EC2's old and new id lengths; anything between
/// is accepted too, as the brief is a format check, not a lookup).
pub fn aws_id(text: &str, prefix: &str, what: &str) -> Result<(), String> {
    let ok = text.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('-')).is_some_and(|hex| {
        (8..=17).contains(&hex.len()) && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    if ok {
        Ok(())
    } else {
        Err(format!("`{text}` is not {what}; expected {prefix}- followed by 8 to 17 hex digits"))
    }
}

/// An SSM parameter name (after `ssm:`): absolute, made of the characters SSM allows.
pub fn ssm_parameter(name: &str) -> Result<(), String> {
    if !name.starts_with('/') {
        return Err(format!(
            "the SSM parameter name `{name}` must start with `/`, e.g. ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        ));
    }
    if name.len() > 2048 {
        return Err("the SSM parameter name is longer than 2048 characters".into());
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "_.-/".contains(*c))) {
        return Err(format!(
            "the SSM parameter name `{name}` contains {}; allowed are letters, digits, `_`, `.`, `-` and `/`",
            describe_char(bad)
        ));
    }
    Ok(())
}

/// An ARN's parts after `arn:<partition>:`, when it has all six and a partition AWS names (`aws`,
/// `aws-cn`, `aws-us-gov`, ...).
struct Arn<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn arn(text: &str) -> Option<Arn<'_>> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let ["arn", partition, service, region, account, resource] = parts[..] else { return None };
    let partition_ok = partition.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty() || (rest.starts_with('-') && rest[1..].bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
    });
    partition_ok.then_some(Arn { service, region, account, resource })
}

fn is_account(account: &str) -> bool {
    account.len() == 12 && is_digits(account)
}

/// A certificate ARN from ACM (`arn:aws:acm:<region>:<account>:certificate/<id>`) or IAM
/// (`arn:aws:iam::<account>:server-certificate/<name>`). Returns the region part (empty for IAM).
pub fn certificate_arn(text: &str) -> Result<&str, String> {
    let bad = || {
        format!(
            "`{text}` is not a certificate ARN; expected arn:aws:acm:<region>:<account>:certificate/<id> \
             or arn:aws:iam::<account>:server-certificate/<name>"
        )
    };
    let Arn { service, region, account, resource } = arn(text).ok_or_else(bad)?;
    let shape_ok = match service {
        "acm" => is_region(region) && resource.len() > "certificate/".len() && resource.starts_with("certificate/"),
        "iam" => {
            region.is_empty()
                && resource.len() > "server-certificate/".len()
                && resource.starts_with("server-certificate/")
        }
        _ => false,
    };
    if is_account(account) && shape_ok {
        Ok(region)
    } else {
        Err(bad())
    }
}

/// An IAM managed policy's ARN (`arn:<partition>:iam::<account>:policy/<path/>name`, or AWS's own,
/// `arn:aws:iam::aws:policy/...`): what `iam.permissions_boundary` names.
pub fn policy_arn(text: &str) -> Result<(), String> {
    let bad = || format!("`{text}` is not an IAM policy ARN; expected arn:aws:iam::<account>:policy/<name>");
    let Arn { service, region, account, resource } = arn(text).ok_or_else(bad)?;
    // Policy names and paths: letters, digits and `+=,.@-_`, paths separated by `/` (IAM API, CreatePolicy).
    let name_ok = resource.strip_prefix("policy/").is_some_and(|path| {
        !path.is_empty()
            && !path.ends_with('/')
            && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@-_/".contains(&b))
    });
    if service == "iam" && region.is_empty() && (account == "aws" || is_account(account)) && name_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// A KMS key ARN, `arn:<partition>:kms:<region>:<account>:key/<id>` (a key id, or a multi-Region key's
/// `mrk-...`; not an alias: IAM policies name keys by key ARN), with its region returned.
pub fn kms_key_arn(text: &str) -> Result<&str, String> {
    let bad = || format!("`{text}` is not a KMS key ARN; expected arn:aws:kms:<region>:<account>:key/<key id>");
    let Arn { service, region, account, resource } = arn(text).ok_or_else(bad)?;
    let key_ok = resource.strip_prefix("key/").is_some_and(|id| {
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if service == "kms" && is_region(region) && is_account(account) && key_ok {
        Ok(region)
    } else {
        Err(bad())
    }
}

/// An S3 URL of a zip file, `s3://<bucket>/<key>.zip`, with a bucket name as S3 takes them (3 to 63
/// lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit).
pub fn s3_zip_url(text: &str) -> Result<(), String> {
    let bad = || format!("`{text}` is not an S3 URL of a zip file; expected s3://<bucket>/<path>.zip");
    let Some((bucket, key)) = text.strip_prefix("s3://").and_then(|rest| rest.split_once('/')) else {
        return Err(bad());
    };
    let edge_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edge_ok(bucket.bytes().next())
        && edge_ok(bucket.bytes().last());
    if bucket_ok && key.len() > ".zip".len() && key.ends_with(".zip") && !key.contains(char::is_whitespace) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// ALB success codes: `200`, `200-399` or a comma-separated list of those, each 200..=499.
/// An email address as SNS takes it for an email subscription: one `@`, a local part of 1-64 visible
/// characters, a domain of dot-separated labels (letters, digits, `-`), 254 characters in all (RFC 5321's
/// limits). Anything more exotic is rarer than a typo.
pub fn email_address(text: &str) -> Result<(), String> {
    let bad = |why: &str| format!("`{text}` is not an email address: {why}; expected e.g. ops@example.com");
    if text.len() > 254 {
        return Err(bad("longer than 254 characters"));
    }
    let Some((local, domain)) = text.split_once('@') else { return Err(bad("no @")) };
    if domain.contains('@') {
        return Err(bad("more than one @"));
    }
    if local.is_empty() || local.len() > 64 || !local.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad("the part before @ must be 1-64 visible characters"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(bad("the domain must be dot-separated labels of letters, digits and -"));
    }
    Ok(())
}

/// An SNS topic ARN, `arn:<partition>:sns:<region>:<account>:<name>`; returns the region. Topic names
/// are 1-256 letters, digits, `_` and `-` (SNS API, CreateTopic); FIFO topics (`.fifo`) are refused:
/// CloudWatch alarm actions notify standard topics only.
pub fn sns_topic_arn(text: &str) -> Result<&str, String> {
    let bad = || format!("`{text}` is not an SNS topic ARN; expected arn:aws:sns:<region>:<account>:<topic name>");
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, name] = parts[..] else {
        return Err(bad());
    };
    let partition_ok = partition.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty() || (rest.starts_with('-') && rest[1..].bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
    });
    if name.ends_with(".fifo") {
        return Err(format!("`{text}` is a FIFO topic; CloudWatch alarms notify standard SNS topics only"));
    }
    let name_ok = !name.is_empty()
        && name.len() <= 256
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if arn == "arn"
        && partition_ok
        && service == "sns"
        && is_region(region)
        && account.len() == 12
        && is_digits(account)
        && name_ok
    {
        Ok(region)
    } else {
        Err(bad())
    }
}

pub fn http_matcher(text: &str) -> Result<(), String> {
    let code = |s: &str| -> Option<u16> { s.parse::<u16>().ok().filter(|c| is_digits(s) && (200..=499).contains(c)) };
    let ok = !text.is_empty()
        && text.split(',').all(|item| match item.split_once('-') {
            Some((lo, hi)) => matches!((code(lo), code(hi)), (Some(lo), Some(hi)) if lo < hi),
            None => code(item).is_some(),
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{text}` is not an HTTP code matcher; expected codes from 200 to 499 such as \"200\", \
             \"200-399\" or \"200,302\""
        ))
    }
}

/// A health check path: absolute URL path, printable, at most 1024 characters.
/// A node group's name: it becomes part of AWS names (`<deployment>-<group>`), addresses and a DNS label.
pub const GROUP_NAME_MAX: usize = 20;

/// The name a canary rollout's resources take (`<deployment>-canary`): no group may be called that.
pub const RESERVED_GROUP_NAMES: &[&str] = &["canary"];

pub fn group_name(name: &str) -> Result<(), String> {
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!(
            "`{name}` contains {}; use lowercase letters, digits and hyphens only",
            describe_char(bad)
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("`{name}` must start with a lowercase letter"));
    }
    if name.len() > GROUP_NAME_MAX {
        return Err(format!("`{name}` is {} characters; a group name has at most {GROUP_NAME_MAX}", name.len()));
    }
    if name.contains("--") || name.ends_with('-') {
        return Err(format!("`{name}` has `--` or ends with `-`; AWS names built from it cannot"));
    }
    if RESERVED_GROUP_NAMES.contains(&name) {
        return Err(format!("`{name}` is the name of a canary rollout's resources; choose another"));
    }
    Ok(())
}

/// ALB conditions take at most 128 characters per value
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html).
const CONDITION_VALUE_MAX: usize = 128;

/// A path-pattern condition's value: case-sensitive, `*` and `?` as wildcards, and the characters the
/// ALB documents (A-Z, a-z, 0-9, `_ - . $ / ~ " ' @ : +` and `&`).
pub fn route_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("`{path}` must start with `/`, e.g. /api/*"));
    }
    if path.len() > CONDITION_VALUE_MAX {
        return Err(format!("the path pattern is longer than {CONDITION_VALUE_MAX} characters"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c);
    match path.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!("`{path}` contains {}, which a load balancer path pattern cannot", describe_char(c))),
        None => Ok(()),
    }
}

/// A host-header condition's value: A-Z, a-z, 0-9, `-` and `.`, with `*` and `?` as wildcards.
pub fn route_host(host: &str) -> Result<(), String> {
    if host.len() > CONDITION_VALUE_MAX {
        return Err(format!("the host name is longer than {CONDITION_VALUE_MAX} characters"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-.*?".contains(c);
    match host.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!("`{host}` contains {}, which a host name condition cannot", describe_char(c))),
        None => Ok(()),
    }
}

pub fn health_check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("`{path}` must start with `/`, e.g. /health"));
    }
    if path.len() > 1024 {
        return Err("the path is longer than 1024 characters".into());
    }
    match path.chars().find(|c| c.is_whitespace() || c.is_control()) {
        Some(c) => Err(format!("the path contains {}", describe_char(c))),
        None => Ok(()),
    }
}

/// Cookie names an application cookie may use: an HTTP token, not one of the ALB's reserved prefixes.
pub fn cookie_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err("the cookie name must be 1 to 255 characters".into());
    }
    if name.starts_with("AWSALB") {
        return Err(format!("`{name}` starts with AWSALB, which the load balancer reserves for its own cookies"));
    }
    match name.chars().find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(*c))) {
        Some(c) => Err(format!("the cookie name `{name}` contains {}", describe_char(c))),
        None => Ok(()),
    }
}

/// Directories whose contents the node needs; mounting the shared file system over them would break
/// the instance (or hide other mounts, for the bare parents).
const SYSTEM_DIRS: [&str; 17] = [
    "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin",
    "/sys", "/tmp", "/usr", "/var",
];
const SYSTEM_TREES: [&str; 11] =
    ["/bin/", "/boot/", "/dev/", "/etc/", "/lib/", "/lib64/", "/proc/", "/run/", "/sbin/", "/sys/", "/usr/"];

pub fn mount_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("`{path}` must be an absolute path, e.g. /mnt/data"));
    }
    if path == "/" {
        return Err("the shared file system cannot be mounted on `/`; use e.g. /mnt/data".into());
    }
    if let Some(c) = path.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{path}` contains {}; mount paths cannot", describe_char(c)));
    }
    if path.ends_with('/') || path.split('/').skip(1).any(|s| s.is_empty() || s == "." || s == "..") {
        return Err(format!("`{path}` is not a plain absolute path (no trailing `/`, `//`, `.` or `..`)"));
    }
    if SYSTEM_DIRS.contains(&path) || SYSTEM_TREES.iter().any(|t| path.starts_with(t)) {
        return Err(format!("`{path}` is a system directory; mount the shared file system elsewhere, e.g. /mnt/data"));
    }
    if path.len() > 255 {
        return Err("the mount path is longer than 255 characters".into());
    }
    Ok(())
}

/// The lifecycle transitions EFS accepts, in days.
pub const IA_DAYS: [u64; 9] = [1, 7, 14, 30, 60, 90, 180, 270, 365];

pub fn transition_to_ia(d: Duration) -> Result<(), String> {
    let secs = d.as_secs();
    if secs.is_multiple_of(86_400) && IA_DAYS.contains(&(secs / 86_400)) {
        Ok(())
    } else {
        Err(format!(
            "EFS cannot move files to Infrequent Access after {}; use 1d, 7d, 14d, 30d, 60d, 90d, 180d, 270d or 365d",
            format_duration(d)
        ))
    }
}

/// The retention periods CloudWatch Logs accepts, in days (PutRetentionPolicy's `retentionInDays`, the
/// `Days` shape of botocore's `logs/2014-03-28` model and the API reference).
pub const LOG_RETENTION_DAYS: [u64; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// A log retention CloudWatch Logs accepts: whole days from [`LOG_RETENTION_DAYS`]. Anything else is
/// refused naming the nearest allowed value (the shorter one on a tie: keeping logs costs money).
pub fn log_retention(d: Duration) -> Result<u16, String> {
    let secs = d.as_secs();
    let days = secs / 86_400;
    if secs.is_multiple_of(86_400) && LOG_RETENTION_DAYS.contains(&days) {
        // The largest allowed value (3653) fits.
        return u16::try_from(days).map_err(|_| format!("{days} days is too long"));
    }
    let wanted = secs as f64 / 86_400.0;
    let nearest = LOG_RETENTION_DAYS
        .iter()
        .copied()
        .min_by(|a, b| (*a as f64 - wanted).abs().total_cmp(&(*b as f64 - wanted).abs()))
        .unwrap_or(30);
    Err(format!(
        "CloudWatch Logs cannot keep logs for {}; the nearest retention it accepts is {nearest}d (it accepts {})",
        format_duration(d),
        LOG_RETENTION_DAYS.iter().map(|n| format!("{n}d")).collect::<Vec<_>>().join(", ")
    ))
}

/// Characters every AWS service clusterup tags accepts in tag keys and values (EC2 is laxer; ELB, RDS,
/// EFS and EMR are not).
fn tag_char_ok(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

pub fn tag_key(key: &str) -> Result<(), String> {
    let len = key.chars().count();
    if len == 0 || len > 128 {
        return Err(format!("tag keys are 1 to 128 characters; `{key}` has {len}"));
    }
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("aws:") {
        return Err(format!("`{key}`: the aws: prefix is reserved for AWS"));
    }
    if lower.starts_with("clusterup:") {
        return Err(format!("`{key}`: the clusterup: prefix is reserved for the tags clusterup manages"));
    }
    if key == "Name" {
        return Err("clusterup sets the Name tag of every resource itself".into());
    }
    match key.chars().find(|c| !tag_char_ok(*c)) {
        Some(c) => Err(format!(
            "the tag key `{key}` contains {}; allowed are letters, digits, spaces and _ . : / = + - @",
            describe_char(c)
        )),
        None => Ok(()),
    }
}

pub fn tag_value(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if len > 256 {
        return Err(format!("tag values are at most 256 characters; this one has {len}"));
    }
    match value.chars().find(|c| !tag_char_ok(*c)) {
        Some(c) => Err(format!(
            "the tag value contains {}; allowed are letters, digits, spaces and _ . : / = + - @",
            describe_char(c)
        )),
        None => Ok(()),
    }
}

/// DB parameter group parameter names: `max_connections`, `innodb_lock_wait_timeout`, ...
pub fn db_parameter_name(name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name.len() <= 255
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        Ok(())
    } else {
        Err(format!("`{name}` is not a DB parameter name; expected letters, digits and `_`, e.g. max_connections"))
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_lower_alnum(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Name a character so that invisible ones are visible in a message.
pub fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\t' => "a tab".into(),
        c if c.is_control() || c.is_whitespace() => format!("the character U+{:04X}", c as u32),
        c => format!("`{c}`"),
    }
}
