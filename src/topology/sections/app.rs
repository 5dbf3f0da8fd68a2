//! The app nodes: capacity, scaling, user data.

use std::io::Read;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{null_as_default, Result};
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::types::*;

/// EC2 refuses user data larger than 16 KB (before base64).
pub const MAX_USER_DATA_BYTES: u64 = 16 * 1024;

/// The latest Amazon Linux 2023, as an SSM parameter.
pub const IMAGE_PARAMETER: &str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
pub const PORT: u16 = 8080;
/// Instance refresh's own default (RefreshPreferences.MinHealthyPercentage in the Auto Scaling API).
pub const MIN_HEALTHY_PERCENT: u8 = 90;
/// Where the built-in template is said to come from.
pub const BUILT_IN: &str = "built-in";

/// Declares a struct with the fields every node group has (the `app` section's), followed by `$extra`
/// fields, so that `app:` and each group of `node_groups:` share one declaration of each field: its doc
/// comment (the schema's description), value type and default. `#[serde(flatten)]` would say the same,
/// but it buffers the values and so loses their positions in the file, which located errors need.
macro_rules! node_fields {
    ($(#[$attr:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$attr])*
        pub struct $name {
            /// EC2 instance type of the nodes, e.g. t3.large.
            pub instance_type: InstanceType,
            /// An AMI id, or ssm:<parameter> naming an SSM parameter that holds one; the default follows the
            /// latest Amazon Linux 2023.
            #[schemars(extend("default" = Image::SsmParameter(IMAGE_PARAMETER.to_owned())))]
            pub image: Option<Image>,
            /// Port the app listens on.
            #[schemars(extend("default" = PORT))]
            pub port: Option<Port>,
            /// Node counts: min <= desired <= max. Defaults: min 2, desired = min, max = the larger of min and 4.
            #[serde(default, deserialize_with = "null_as_default")]
            #[schemars(with = "Option<RawCapacity>")]
            pub capacity: RawCapacity,
            /// Target tracking, so that the group grows and shrinks between min and max: exactly one of
            /// cpu_target or requests_per_target.
            pub scaling: Option<RawScaling>,
            /// User-data template, relative to this file; the built-in one by default.
            pub user_data: Option<UserDataPath>,
            /// Share of the desired nodes kept healthy while nodes are replaced by a new version.
            #[schemars(extend("default" = MIN_HEALTHY_PERCENT))]
            pub min_healthy_percent: Option<Percent>,
            /// Exactly one node across all zones, replaced (never doubled) when it fails or changes: for a
            /// service that cannot run twice (a scheduler, a coordinator). No capacity or scaling with it.
            #[serde(default)]
            #[schemars(extend("default" = false))]
            pub singleton: bool,
            $($extra)*
        }

        impl $name {
            /// The fields every group has, apart from the ones of `node_groups` alone.
            pub(super) fn node_settings(&self) -> NodeSettings<'_> {
                NodeSettings {
                    instance_type: &self.instance_type,
                    image: self.image.as_ref(),
                    port: self.port,
                    capacity: &self.capacity,
                    scaling: self.scaling.as_ref(),
                    user_data: self.user_data.as_ref(),
                    min_healthy_percent: self.min_healthy_percent,
                    singleton: self.singleton,
                }
            }
        }
    };
}

pub(super) use node_fields;

node_fields!(
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields, expecting = "the app section, a mapping with at least instance_type")]
    RawApp {}
);

/// The fields of [`RawApp`], borrowed from it or from a group of `node_groups`.
pub(super) struct NodeSettings<'a> {
    pub(super) instance_type: &'a InstanceType,
    pub(super) image: Option<&'a Image>,
    pub(super) port: Option<Port>,
    pub(super) capacity: &'a RawCapacity,
    pub(super) scaling: Option<&'a RawScaling>,
    pub(super) user_data: Option<&'a UserDataPath>,
    pub(super) min_healthy_percent: Option<Percent>,
    pub(super) singleton: bool,
}

pub const MIN_NODES: u32 = 2;
/// The default max is the larger of this and min.
pub const MAX_NODES: u32 = 4;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a capacity mapping such as { min: 2, desired: 2, max: 6 }")]
pub struct RawCapacity {
    /// Fewest nodes; below 2 is a warning.
    #[schemars(extend("default" = MIN_NODES))]
    pub min: Option<NodeCount>,
    /// Nodes to start with, between min and max; min by default.
    pub desired: Option<NodeCount>,
    /// Most nodes; the larger of min and 4 by default.
    pub max: Option<MaxNodeCount>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a scaling mapping with cpu_target or requests_per_target")]
#[schemars(extend("oneOf" = [{ "required": ["cpu_target"] }, { "required": ["requests_per_target"] }]))]
pub struct RawScaling {
    /// Average CPU utilisation in percent (fractions allowed).
    pub cpu_target: Option<CpuTarget>,
    /// Load balancer requests per node.
    pub requests_per_target: Option<RequestsPerTarget>,
}

pub fn app(raw: RawApp, source: &Path, default_user_data: &str, warnings: &mut Vec<Finding>) -> Result<App> {
    nodes(raw.node_settings(), &YamlPath::root().key("app"), source, default_user_data, warnings)
}

/// The checked settings of the group whose fields are at `path` (`app`, or `node_groups.<name>`).
pub(super) fn nodes(
    raw: NodeSettings<'_>,
    path: &YamlPath,
    source: &Path,
    default_user_data: &str,
    warnings: &mut Vec<Finding>,
) -> Result<App> {
    let capacity = if raw.singleton {
        singleton_limits(&raw, path)?;
        Capacity { min: 1, desired: 1, max: 1 }
    } else {
        capacity(raw.capacity, &path.key("capacity"), warnings)?
    };
    let scaling = raw.scaling.map(|s| scaling(s, &path.key("scaling"))).transpose()?;
    let (user_data_template, user_data_origin) = match raw.user_data {
        None => (default_user_data.to_owned(), BUILT_IN.to_owned()),
        Some(file) => read_user_data(&file.0, source, &path.key("user_data"))?,
    };
    Ok(App {
        instance_type: raw.instance_type.0.clone(),
        image: raw.image.cloned().unwrap_or_else(|| Image::SsmParameter(IMAGE_PARAMETER.to_owned())),
        port: raw.port.map_or(PORT, |p| p.0),
        capacity,
        scaling,
        user_data_template,
        user_data_origin,
        min_healthy_percent: raw.min_healthy_percent.map_or(MIN_HEALTHY_PERCENT, |p| p.0),
        singleton: raw.singleton,
    })
}

/// A singleton has one node by definition: a capacity or a scaling policy beside it contradicts it.
fn singleton_limits(raw: &NodeSettings<'_>, path: &YamlPath) -> Result<()> {
    let written = |c: &RawCapacity| c.min.is_some() || c.desired.is_some() || c.max.is_some();
    let (field, why) = if written(raw.capacity) {
        ("capacity", "it has exactly one node")
    } else if raw.scaling.is_some() {
        ("scaling", "it has exactly one node")
    } else if raw.min_healthy_percent.is_some() {
        ("min_healthy_percent", "its one node is replaced by terminating it first (0% healthy)")
    } else {
        return Ok(());
    };
    let message = format!("a singleton takes no {field}: {why}; remove {field} or `singleton: true`");
    Err(Finding::new(path.key(field), message).on_key())
}

fn capacity(raw: &RawCapacity, path: &YamlPath, warnings: &mut Vec<Finding>) -> Result<Capacity> {
    let min = raw.min.map_or(MIN_NODES, |n| n.0);
    let max = raw.max.map_or(min.max(MAX_NODES), |n| n.0);
    let desired = raw.desired.map_or(min, |n| n.0);
    // Name the default in messages: "max (4)" is puzzling when the file has no max.
    let shown = |name: &str, value: u32, written: bool| {
        if written {
            format!("{name} ({value})")
        } else {
            format!("{name} ({value}, the default)")
        }
    };
    let min_s = shown("min", min, raw.min.is_some());
    let max_s = shown("max", max, raw.max.is_some());
    if min > max {
        let at = if raw.max.is_some() { "max" } else { "min" };
        let message = format!("{min_s} is greater than {max_s}");
        return Err(Finding::new(path.clone(), message).at(path.key(at)));
    }
    if desired < min {
        let message = format!("desired ({desired}) is less than {min_s}");
        return Err(Finding::new(path.clone(), message).at(path.key("desired")));
    }
    if desired > max {
        let desired_s = shown("desired", desired, raw.desired.is_some());
        let at = if raw.desired.is_some() { "desired" } else { "max" };
        let message = format!("{desired_s} is greater than {max_s}");
        return Err(Finding::new(path.clone(), message).at(path.key(at)));
    }
    if min < 2 {
        warnings.push(Finding::new(
            path.key("min"),
            format!("min is {min}: a single node is a single point of failure (use 2 or more)"),
        ));
    }
    Ok(Capacity { min, desired, max })
}

fn scaling(raw: &RawScaling, path: &YamlPath) -> Result<Scaling> {
    match (raw.cpu_target, raw.requests_per_target) {
        (Some(cpu), None) => Ok(Scaling::CpuTarget(cpu.0)),
        (None, Some(requests)) => Ok(Scaling::RequestsPerTarget(requests.0)),
        (Some(_), Some(_)) => {
            Err(Finding::new(path.key("requests_per_target"), "use either cpu_target or requests_per_target, not both")
                .on_key())
        }
        (None, None) => Err(Finding::new(path.clone(), "expected one of cpu_target (percent) or requests_per_target")),
    }
}

/// Read the user-data template named in the file, relative to the topology file's directory.
fn read_user_data(file: &str, source: &Path, path: &YamlPath) -> Result<(String, String)> {
    let resolved = source.parent().unwrap_or_else(|| Path::new("")).join(file);
    let shown = resolved.display().to_string();
    let fail = |why: String| Finding::new(path.clone(), why);
    let handle = std::fs::File::open(&resolved).map_err(|e| fail(format!("cannot read {shown}: {e}")))?;
    let mut bytes = Vec::new();
    handle
        .take(MAX_USER_DATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_USER_DATA_BYTES {
        return Err(fail(format!("{shown} is larger than 16 KiB, the EC2 limit for user data")));
    }
    let text = String::from_utf8(bytes).map_err(|_| fail(format!("{shown} is not UTF-8 text")))?;
    Ok((text, shown))
}
