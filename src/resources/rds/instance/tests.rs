//! The databases' shared look against SDK mocks: the emulator has one database per deployment and makes
//! it available at once, so neither several instances in one call nor RDS's lower-case identifiers show
//! there.

use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;

#[tokio::test]
async fn one_describe_db_instances_answers_several_instances_under_the_identifiers_asked_sdk_mock() {
    // RDS lists identifiers in lower case whatever case they were created with, and leaves out what does
    // not match the filter.
    let describe = mock!(Client::describe_db_instances)
        .match_requests(|req| {
            req.db_instance_identifier().is_none()
                && req
                    .filters()
                    .iter()
                    .any(|f| f.name() == Some("db-instance-id") && f.values() == ["Shop-DB", "web-db", "gone-db"])
        })
        .then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(
                    Instance::builder().db_instance_identifier("shop-db").db_instance_status("creating").build(),
                )
                .db_instances(
                    Instance::builder().db_instance_identifier("web-db").db_instance_status("available").build(),
                )
                .build()
        });
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&describe]);
    let ids = ["Shop-DB", "web-db", "gone-db"].map(String::from).to_vec();
    let found = describe_many(rds)(ids).await.expect("one call");
    let status = |id: &str| found.get(id).and_then(|db| db.db_instance_status());
    assert_eq!((status("Shop-DB"), status("web-db")), (Some("creating"), Some("available")));
    assert!(!found.contains_key("gone-db"), "an instance the filter does not match is absent: {found:?}");
    assert_eq!(describe.num_calls(), 1);
}
