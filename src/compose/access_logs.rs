//! The load balancer's access logs (`load_balancer.access_logs`): a bucket of the deployment's own, with
//! the bucket policy Elastic Load Balancing needs to deliver them.
//!
//! Why a bucket of their own rather than the Spark bucket: that one exists only with Spark, and holds the
//! bootstrap script and the jobs the nodes run, which no log delivery principal should be able to write
//! next to; the access logs also take only SSE-S3 encryption, and have their own lifetime (turning them
//! off deletes the bucket).

use serde_json::json;

use super::named;
use crate::model::facts::partition_of_region;
use crate::model::json::canonical;
use crate::model::names::load_balancer::{log_bucket_name, LOG_BUCKET};
use crate::model::{Desired, Facts, Kind, Value, NAME};
use crate::resources::s3::bucket;
use crate::topology::Topology;

/// The Elastic Load Balancing account that delivers access logs in each region opened before August
/// 2022; regions opened since take the log delivery service principal instead
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy).
const ELB_ACCOUNTS: &[(&str, &str)] = &[
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-south-1", "718504428378"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-southeast-3", "589379963580"),
    ("ca-central-1", "985666609251"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
    ("eu-central-1", "054676820928"),
    ("eu-north-1", "897822967062"),
    ("eu-south-1", "635631232127"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-west-3", "009996457667"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-gov-east-1", "190560391635"),
    ("us-gov-west-1", "048591011584"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
];

/// The service principal that delivers access logs in the regions [`ELB_ACCOUNTS`] does not list.
const LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// Who writes the logs in `region`.
fn log_writer(region: &str) -> serde_json::Value {
    match ELB_ACCOUNTS.iter().find(|(r, _)| *r == region) {
        Some((_, account)) => json!({ "AWS": format!("arn:{}:iam::{account}:root", partition_of_region(region)) }),
        None => json!({ "Service": LOG_DELIVERY_SERVICE }),
    }
}

/// The bucket policy: the region's log writer may put objects under `AWSLogs/<account>/` and nothing
/// else. (No statement refusing plain HTTP: the emulator evaluates `aws:SecureTransport` and is reached
/// over plain HTTP, so such a bucket could not even be emptied in the tests; the log writer uses TLS.)
fn bucket_policy(name: &str, topology: &Topology, facts: &Facts) -> String {
    let bucket = format!("arn:{}:s3:::{name}", partition_of_region(&topology.region));
    canonical(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "LoadBalancerAccessLogs",
            "Effect": "Allow",
            "Principal": log_writer(&topology.region),
            "Action": "s3:PutObject",
            "Resource": format!("{bucket}/AWSLogs/{}/*", facts.account_id),
        }],
    }))
}

/// The log bucket, when the topology asks for access logs.
pub fn desired(topology: &Topology, facts: &Facts) -> Option<Desired> {
    if !topology.load_balancer.access_logs {
        return None;
    }
    let name = log_bucket_name(&topology.name, &facts.account_id, &topology.region);
    Some(
        named(topology, LOG_BUCKET, Kind::Bucket, &name)
            .prop(&NAME, Value::str(&name))
            .prop(&bucket::POLICY, Value::str(bucket_policy(&name, topology, facts))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_opened_since_august_2022_take_the_log_delivery_service() {
        assert_eq!(log_writer("us-east-1"), json!({ "AWS": "arn:aws:iam::127311923021:root" }));
        assert_eq!(log_writer("cn-north-1"), json!({ "AWS": "arn:aws-cn:iam::638102146993:root" }));
        assert_eq!(log_writer("eu-central-2"), json!({ "Service": LOG_DELIVERY_SERVICE }));
    }

    #[test]
    fn the_table_is_sorted_and_has_one_account_per_region() {
        let regions: Vec<&str> = ELB_ACCOUNTS.iter().map(|(r, _)| *r).collect();
        let mut sorted = regions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(regions, sorted);
        assert!(ELB_ACCOUNTS.iter().all(|(_, a)| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())));
    }
}
