//! The app tier: the Auto Scaling groups and their nodes, the main group's last activities, and each
//! group's instance refreshes.

use super::super::{judge, App, Judged, Refreshes};
use super::brief;
use crate::model::Actual;
use crate::resources::autoscaling::status::{activities, groups, refreshes};
use crate::resources::{Ctx, Error};

/// The tier, `None` when the deployment has no group.
pub(super) async fn tier(ctx: &Ctx, found: &[&Actual]) -> Result<Option<App>, Error> {
    if found.is_empty() {
        return Ok(None);
    }
    let groups = groups(ctx, found).await?;
    // The main group comes first; with every group gone since discovery there is nothing to ask about.
    let activities = match groups.first() {
        Some(main) => activities(ctx, &main.name).await?,
        None => vec![],
    };
    let refreshes = read_refreshes(ctx, &groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>()).await;
    let mut tier = App { judged: Judged::healthy(), groups, activities, refreshes, canary: None };
    judge::app(&mut tier);
    Ok(Some(tier))
}

/// The groups' instance refreshes. Not every endpoint has the call (the local emulator answers 500): a
/// failure is shown as such and does not change the tier's health, since nothing rolls without it.
async fn read_refreshes(ctx: &Ctx, groups: &[&str]) -> Refreshes {
    let mut items = Vec::new();
    for group in groups {
        match refreshes(ctx, group).await {
            Ok(read) => items.extend(read),
            Err(err) => {
                return Refreshes { readable: false, items, note: Some(format!("not readable: {}", brief(&err))) }
            }
        }
    }
    Refreshes { readable: true, items, note: None }
}

#[cfg(test)]
mod tests {
    use aws_sdk_autoscaling::operation::describe_instance_refreshes::DescribeInstanceRefreshesError;
    use aws_sdk_autoscaling::Client;
    use aws_smithy_mocks::{mock, mock_client};

    use super::*;
    use crate::aws::Aws;
    use crate::resources::DataPolicy;

    #[tokio::test]
    async fn describe_instance_refreshes_sdk_mock_emulator_gap_a_failure_is_a_note_not_an_error() {
        let failing = mock!(Client::describe_instance_refreshes).then_error(|| {
            DescribeInstanceRefreshesError::generic(
                aws_smithy_types::error::ErrorMetadata::builder().code("AccessDenied").message("not allowed").build(),
            )
        });
        let autoscaling = mock_client!(aws_sdk_autoscaling, [&failing]);
        let ctx =
            Ctx { aws: Aws { autoscaling, ..Aws::offline() }, deployment: "web".into(), data: DataPolicy::default() };
        let refreshes = read_refreshes(&ctx, &["web-app"]).await;
        assert!(!refreshes.readable);
        let note = refreshes.note.expect("a note");
        assert_eq!(note, "not readable: DescribeInstanceRefreshes failed: AccessDenied: not allowed");
    }
}
