//! The single-value rules on their own.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::topology::model::Cidr;
use crate::topology::rules::*;

#[track_caller]
fn rejects<T: std::fmt::Debug>(result: Result<T, String>, needle: &str) {
    match result {
        Err(message) => assert!(message.contains(needle), "{message:?} lacks {needle:?}"),
        Ok(value) => panic!("accepted: {value:?}"),
    }
}

#[test]
fn deployment_names() {
    for good in ["a", "web", "smarten-prod", "a1-b2-c3", "abcdefghijklmnopqrstu"] {
        assert_eq!(deployment_name(good), Ok(()), "{good}");
    }
    rejects(deployment_name(""), "empty");
    rejects(deployment_name("Prod"), "contains `P`");
    rejects(deployment_name("my_app"), "contains `_`");
    rejects(deployment_name("1web"), "must start with a lowercase letter");
    rejects(deployment_name("-web"), "must start with a lowercase letter");
    rejects(deployment_name("abcdefghijklmnopqrstuv"), "is 22 characters; at most 21");
    rejects(deployment_name(&"a".repeat(40)), "is 40 characters");
    rejects(deployment_name("web--prod"), "two hyphens in a row");
    rejects(deployment_name("web-"), "ends with a hyphen");
    rejects(deployment_name("web prod"), "contains a space");
}

#[test]
fn regions_and_zones() {
    for good in ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-4"] {
        assert_eq!(region(good), Ok(()), "{good}");
    }
    for bad in ["us-east", "useast1", "US-EAST-1", "us-east-1a", "u-east-1", "us--1", "us-east-x"] {
        rejects(region(bad), "is not an AWS region name");
    }
    assert_eq!(zone_name("us-east-1a"), Ok(()));
    assert_eq!(zone_region("us-east-1a"), "us-east-1");
    assert_eq!(zone_region("us-gov-west-1b"), "us-gov-west-1");
    for bad in ["us-east-1", "us-east-1ab", "us-east-1A", "east-1a", ""] {
        rejects(zone_name(bad), "is not an availability zone name");
    }
}

#[test]
fn cidrs() {
    assert_eq!(cidr("10.20.0.0/16"), Ok(Cidr { addr: Ipv4Addr::new(10, 20, 0, 0), prefix: 16 }));
    assert_eq!(cidr("172.31.4.0/24"), Ok(Cidr { addr: Ipv4Addr::new(172, 31, 4, 0), prefix: 24 }));
    rejects(cidr("10.20.0.0/33"), "not a prefix length");
    rejects(cidr("10.20.0.0/-1"), "not a prefix length");
    rejects(cidr("10.20.0.0/+16"), "not a prefix length");
    rejects(cidr("10.20.0.0/"), "not a prefix length");
    rejects(cidr("300.1.0.0/16"), "is not an IPv4 address");
    rejects(cidr("10.1.0/16"), "is not an IPv4 address");
    rejects(cidr("010.1.0.0/16"), "is not an IPv4 address");
    rejects(cidr("10.20.1.0/16"), "did you mean 10.20.0.0/16?");
    rejects(cidr("10.20.0.128/24"), "did you mean 10.20.0.0/24?");
    rejects(cidr("10.0.0.0/8"), "must be /16 to /24");
    rejects(cidr("10.0.0.0/25"), "must be /16 to /24");
    rejects(cidr("10.0.0.0"), "not a CIDR block");
    rejects(cidr("0.0.0.0/16"), "reserved range");
    rejects(cidr("169.254.0.0/16"), "reserved range");
    rejects(cidr("224.0.0.0/16"), "reserved range");
    assert_eq!(Cidr { addr: Ipv4Addr::new(10, 0, 0, 0), prefix: 16 }.to_string(), "10.0.0.0/16");
}

#[test]
fn durations() {
    assert_eq!(duration("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(duration("7d"), Ok(Duration::from_secs(604_800)));
    assert_eq!(duration("0s"), Ok(Duration::ZERO));
    for bad in ["", "s", "30", "1h30m", "-5s", "5 s", " 5s", "5S", "5ms", "1.5h", "+5s", "5sec", "٣s"] {
        rejects(duration(bad), "expected a duration such as 30s, 5m, 1h or 7d");
    }
    rejects(duration("99999999999999999999d"), "expected a duration");
    rejects(duration("999999999999999999d"), "too long");
    assert_eq!(format_duration(Duration::from_secs(300)), "5m");
    assert_eq!(format_duration(Duration::from_secs(4000)), "4000s");
    assert_eq!(format_duration(Duration::from_secs(604_800)), "7d");
    assert_eq!(format_duration(Duration::ZERO), "0s");
}

#[test]
fn instance_types_and_classes() {
    for good in ["t3.large", "m5.xlarge", "c7gn.16xlarge", "u-6tb1.metal", "mac2-m2pro.metal"] {
        assert_eq!(instance_type(good), Ok(()), "{good}");
    }
    for bad in ["t3", "T3.large", "3t.large", "t3.", ".large", "t3.large.x", "t3_large"] {
        rejects(instance_type(bad), "is not an EC2 instance type");
    }
    assert_eq!(db_instance_class("db.t3.medium"), Ok(()));
    assert_eq!(db_instance_class("db.r6g.2xlarge"), Ok(()));
    for bad in ["t3.medium", "db.t3", "db.T3.medium", "db.t3.medium.x"] {
        rejects(db_instance_class(bad), "is not an RDS instance class");
    }
}

#[test]
fn versions_and_releases() {
    for good in ["5.7", "8.0", "8.4", "8.0.39", "5.7.44", "8.4.3"] {
        assert_eq!(engine_version(good), Ok(()), "{good}");
    }
    for bad in ["8", "8.1", "9.0", "8.0.", "8.0.x", "8.00", "v8.0", ""] {
        rejects(engine_version(bad), "use 5.7, 8.0 or 8.4");
    }
    assert_eq!(emr_release("emr-7.5.0"), Ok(()));
    for bad in ["emr-7.5", "7.5.0", "emr-7.5.0-beta", "EMR-7.5.0", "emr-a.b.c"] {
        rejects(emr_release(bad), "expected e.g. emr-7.14.0");
    }
}

#[test]
fn aws_ids_and_parameters() {
    assert_eq!(aws_id("vpc-0abc1234", "vpc", "a VPC id"), Ok(()));
    assert_eq!(aws_id("subnet-0123456789abcdef0", "subnet", "a subnet id"), Ok(()));
    for bad in ["vpc-0abc123", "vpc-0ABC1234", "vpc-0123456789abcdef01", "vpc0abc1234", "subnet-0abc1234"] {
        rejects(aws_id(bad, "vpc", "a VPC id"), "is not a VPC id");
    }
    assert_eq!(ssm_parameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"), Ok(()));
    rejects(ssm_parameter("aws/x"), "must start with `/`");
    rejects(ssm_parameter("/a:b"), "contains `:`");
}

#[test]
fn certificate_arns() {
    assert_eq!(certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/abc"), Ok("us-east-1"));
    assert_eq!(certificate_arn("arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc"), Ok("us-gov-west-1"));
    assert_eq!(certificate_arn("arn:aws:iam::123456789012:server-certificate/web"), Ok(""));
    for bad in [
        "arn:aws:acm:us-east-1:123456789012:certificate/",
        "arn:aws:acm:us-east-1:12345:certificate/abc",
        "arn:aws:s3:::bucket",
        "arn:aws:acm::123456789012:certificate/abc",
        "arn:aws:iam:us-east-1:123456789012:server-certificate/web",
        "arn:azure:acm:us-east-1:123456789012:certificate/abc",
        "certificate/abc",
    ] {
        rejects(certificate_arn(bad), "is not a certificate ARN");
    }
}

#[test]
fn health_check_values() {
    for good in ["200", "200-399", "200,302", "200-299,404"] {
        assert_eq!(http_matcher(good), Ok(()), "{good}");
    }
    for bad in ["", "100", "500", "399-200", "200-200", "20x", "200,", "200-"] {
        rejects(http_matcher(bad), "is not an HTTP code matcher");
    }
    assert_eq!(health_check_path("/health?full=1"), Ok(()));
    rejects(health_check_path("health"), "must start with `/`");
    rejects(health_check_path("/a b"), "contains a space");
    rejects(health_check_path(&format!("/{}", "a".repeat(1024))), "longer than 1024");
}

#[test]
fn cookies_and_mount_paths() {
    assert_eq!(cookie_name("JSESSIONID"), Ok(()));
    rejects(cookie_name("AWSALBAPP-0"), "reserves");
    rejects(cookie_name("a=b"), "contains `=`");
    rejects(cookie_name(""), "1 to 255");
    for good in ["/mnt/data", "/mnt/smarten-data", "/data", "/var/lib/app", "/home/app/shared"] {
        assert_eq!(mount_path(good), Ok(()), "{good}");
    }
    rejects(mount_path("/"), "cannot be mounted on `/`");
    rejects(mount_path("mnt/data"), "must be an absolute path");
    rejects(mount_path("/mnt/my data"), "contains a space");
    rejects(mount_path("/mnt/data/"), "not a plain absolute path");
    rejects(mount_path("/mnt//data"), "not a plain absolute path");
    rejects(mount_path("/mnt/./data"), "not a plain absolute path");
    for system in ["/etc", "/usr/local", "/proc/x", "/mnt", "/var", "/tmp", "/home"] {
        rejects(mount_path(system), "is a system directory");
    }
}

#[test]
fn infrequent_access_transitions() {
    for days in IA_DAYS {
        assert_eq!(transition_to_ia(Duration::from_secs(days * 86_400)), Ok(()));
    }
    rejects(transition_to_ia(Duration::from_secs(45 * 86_400)), "after 45d; use 1d, 7d");
    rejects(transition_to_ia(Duration::from_secs(3600)), "after 1h");
}

#[test]
fn log_retentions_are_cloudwatch_logs_own_and_a_miss_names_the_nearest() {
    for days in LOG_RETENTION_DAYS {
        assert_eq!(log_retention(Duration::from_secs(days * 86_400)), Ok(u16::try_from(days).expect("fits")));
    }
    let day = |n: u64| Duration::from_secs(n * 86_400);
    rejects(log_retention(day(2)), "nearest retention it accepts is 1d"); // a tie: the shorter
    rejects(log_retention(day(4)), "nearest retention it accepts is 3d");
    rejects(log_retention(day(100)), "nearest retention it accepts is 90d");
    rejects(log_retention(day(380)), "nearest retention it accepts is 365d");
    rejects(log_retention(day(0)), "nearest retention it accepts is 1d");
    rejects(log_retention(Duration::from_secs(3600)), "cannot keep logs for 1h");
}

#[test]
fn tags() {
    assert_eq!(tag_key("cost-center"), Ok(()));
    assert_eq!(tag_key("team/owner:primary @x=y+z"), Ok(()));
    assert_eq!(tag_value(""), Ok(()));
    assert_eq!(tag_value("Ünïcödé ok"), Ok(()));
    rejects(tag_key(""), "1 to 128 characters");
    rejects(tag_key(&"k".repeat(129)), "1 to 128 characters");
    rejects(tag_key("AWS:x"), "aws: prefix is reserved");
    rejects(tag_key("clusterup:deployment"), "clusterup: prefix is reserved");
    rejects(tag_key("Name"), "Name tag");
    rejects(tag_key("a*b"), "contains `*`");
    rejects(tag_value("tab\there"), "contains a tab");
    rejects(tag_value(&"v".repeat(257)), "at most 256");
}

#[test]
fn db_parameters() {
    assert_eq!(db_parameter_name("max_connections"), Ok(()));
    assert_eq!(db_parameter_name("innodb_buffer_pool_size"), Ok(()));
    rejects(db_parameter_name("max connections"), "not a DB parameter name");
    rejects(db_parameter_name(""), "not a DB parameter name");
}

#[test]
fn counting_words() {
    assert_eq!(count(1, "zone"), "1 zone");
    assert_eq!(count(0, "zone"), "0 zones");
    assert_eq!(count(3, "subnet"), "3 subnets");
}

#[test]
fn policy_arns() {
    for good in [
        "arn:aws:iam::123456789012:policy/Boundary",
        "arn:aws:iam::123456789012:policy/teams/bi/clusterup-boundary",
        "arn:aws-cn:iam::123456789012:policy/b",
        "arn:aws:iam::aws:policy/PowerUserAccess",
    ] {
        assert_eq!(policy_arn(good), Ok(()), "{good}");
    }
    for bad in [
        "Boundary",
        "arn:aws:iam::123456789012:role/Boundary",
        "arn:aws:iam:us-east-1:123456789012:policy/b",
        "arn:aws:iam::1234:policy/b",
        "arn:aws:iam::123456789012:policy/",
        "arn:aws:iam::123456789012:policy/a b",
        "arn:aws:s3:::policy/b",
    ] {
        rejects(policy_arn(bad), "is not an IAM policy ARN");
    }
}

#[test]
fn snapshot_references() {
    for good in ["latest", "shop-final-20261206120000", "a", "rds:shop-db-2026-12-06-03-10", "Shop"] {
        assert_eq!(db_snapshot_ref(good), Ok(()), "{good}");
    }
    for bad in ["", "rds:", "-a", "a-", "a--b", "a_b", "a.b", "arn:aws:rds:us-east-1:1:snapshot:a", "rds:rds:a"] {
        rejects(db_snapshot_ref(bad), "is not an RDS DB snapshot identifier");
    }
}
