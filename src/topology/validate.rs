//! Raw file -> checked `Topology`: fill in defaults and apply the rules that involve more than one
//! value. Every problem names the field it is about and the node to point at; `locate.rs` turns that
//! into a line and column. One file per section, in `validate/`.

mod app;
mod load_balancer;
mod network;
mod services;

use std::path::Path;

use self::app::app;
use self::load_balancer::load_balancer;
use self::network::network;
use self::services::{database, shared_storage, spark};
use super::error::Finding;
use super::locate::YamlPath;
use super::model::Topology;
use super::raw::RawTopology;
use super::versions::Date;

type Result<T> = std::result::Result<T, Finding>;

/// Checks `raw` (read from `source`, whose text `spans` keeps) and returns the topology and its warnings, or the first problem.
/// `today` decides which versions are past their end of standard support.
pub fn validate(
    raw: RawTopology,
    source: &Path,
    spans: super::Spans,
    default_user_data: &str,
    today: Date,
) -> Result<(Topology, Vec<Finding>)> {
    let root = YamlPath::root();
    let mut warnings = Vec::new();
    let region = raw.region.0;

    let network = network(raw.network.unwrap_or_default(), &region, &mut warnings)?;
    let load_balancer = load_balancer(raw.load_balancer.unwrap_or_default(), &region)?;
    let app = app(raw.app, source, default_user_data, &mut warnings)?;

    if load_balancer.stickiness.is_some() && app.capacity.max == 1 {
        warnings.push(Finding::new(
            root.key("load_balancer").key("stickiness"),
            "sticky sessions do nothing with one app node (app.capacity.max is 1)",
        ));
    }

    let database = raw.database.map(|db| database(db, today, &mut warnings));
    let shared_storage = raw.shared_storage.map(shared_storage);
    let has_database = database.is_some();
    let spark = raw.spark.map(|s| spark(s, has_database, today, &mut warnings)).transpose()?;

    let topology = Topology {
        name: raw.name.0,
        region,
        tags: raw.tags.map(|t| t.0).unwrap_or_default(),
        network,
        load_balancer,
        app,
        database,
        shared_storage,
        spark,
        source: source.to_owned(),
        spans,
    };
    Ok((topology, warnings))
}
