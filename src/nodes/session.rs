//! A Session Manager session on a node: the AWS CLI's `aws ssm start-session`, which hands the session to
//! the Session Manager plugin. clusterup does not speak the session protocol itself; it finds both
//! programs and builds the command line, with the region, profile and endpoint clusterup itself uses.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::Error;

/// Where to get the AWS CLI.
pub const AWS_CLI_INSTALL: &str = "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html";
/// Where to get the Session Manager plugin, which `aws ssm start-session` runs.
pub const PLUGIN_INSTALL: &str =
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html";

/// The program to run and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// The AWS CLI, when it and the Session Manager plugin are both found on `path` (the `PATH` variable's
/// value); a missing one is an error that says how to install it.
pub fn session_tools(path: Option<&OsString>) -> Result<PathBuf, Error> {
    let aws = find(path, "aws").ok_or(Error::MissingTool { tool: "the AWS CLI (aws)", install: AWS_CLI_INSTALL })?;
    find(path, "session-manager-plugin").ok_or(Error::MissingTool {
        tool: "the Session Manager plugin (session-manager-plugin)",
        install: PLUGIN_INSTALL,
    })?;
    Ok(aws)
}

/// `aws ssm start-session --target NODE --region REGION [--profile P] [--endpoint-url URL]`, the
/// programs found on `path` ([`session_tools`]).
pub fn session_command(
    path: Option<OsString>,
    node: &str,
    region: &str,
    profile: Option<&str>,
    endpoint_url: Option<&str>,
) -> Result<SessionCommand, Error> {
    let aws = session_tools(path.as_ref())?;
    let mut args: Vec<String> =
        ["ssm", "start-session", "--target", node, "--region", region].iter().map(|s| (*s).to_owned()).collect();
    if let Some(profile) = profile {
        args.extend(["--profile".to_owned(), profile.to_owned()]);
    }
    if let Some(url) = endpoint_url {
        args.extend(["--endpoint-url".to_owned(), url.to_owned()]);
    }
    Ok(SessionCommand { program: aws, args })
}

/// The first executable file called `name` in the directories of `path`.
fn find(path: Option<&OsString>, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path?).map(|dir| dir.join(name)).find(|candidate| executable(candidate))
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}
