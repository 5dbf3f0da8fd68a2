//! Reaching the app nodes without SSH (`clusterup exec`, `clusterup shell`): Run Command and Session
//! Manager on the instances that carry the deployment's tag, with AWS's own shell-script document and the
//! account's default session document.
//!
//! Resource types per the Service Authorization Reference (Systems Manager): `ssm:SendCommand` and
//! `ssm:StartSession` are authorised on the instance (`aws:ResourceTag/...` applies) and on the document;
//! `ssm:TerminateSession`/`ssm:ResumeSession` on the session, whose id starts with the caller's user id
//! (the pattern of AWS's quickstart end-user policy,
//! https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-restrict-access-quickstart.html);
//! `ssm:GetCommandInvocation` has no resource type, so it is one of the account-wide reads.

use serde_json::Value;

use super::{allow, Scope};
use crate::model::names::ssm::{RUN_SHELL_DOCUMENT, SESSION_DOCUMENT};

pub fn statements(scope: &Scope) -> Vec<Value> {
    let instances = vec![scope.arn("ec2", "instance/*")];
    vec![
        // The instances are this deployment's: scoped by its tag.
        allow("NodeCommandsOwn", &["ssm:SendCommand", "ssm:StartSession"], instances, Some(scope.owned())),
        // The documents are AWS's and the account's, never tagged by clusterup: named, not tagged.
        allow(
            "NodeCommandDocuments",
            &["ssm:SendCommand", "ssm:StartSession"],
            vec![
                format!("arn:{}:ssm:{}::document/{RUN_SHELL_DOCUMENT}", scope.partition, scope.region()),
                scope.arn("ssm", &format!("document/{SESSION_DOCUMENT}")),
            ],
            None,
        ),
        // A session is named after the user who started it: only one's own may be ended or resumed.
        allow(
            "NodeSessionsOwn",
            &["ssm:ResumeSession", "ssm:TerminateSession"],
            vec![scope.arn("ssm", "session/${aws:userid}-*")],
            None,
        ),
    ]
}
