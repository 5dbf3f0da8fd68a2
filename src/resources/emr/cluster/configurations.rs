//! The applications' configurations (a list of classifications with their properties) between the
//! canonical JSON the composition writes and EMR's types, both ways: what EMR reports compares with what
//! is wanted as text.

use std::collections::HashMap;

use aws_sdk_emr::types::Configuration;

use crate::model::json::canonical;
use crate::resources::Error;

/// Configurations in the canonical JSON the composition writes them in (a list of classifications with
/// their properties), so that what EMR reports compares with what is wanted as text.
pub(in crate::resources::emr) fn configurations_json(configurations: &[Configuration]) -> String {
    let list: Vec<serde_json::Value> = configurations
        .iter()
        .map(|c| {
            serde_json::json!({
                "Classification": c.classification().unwrap_or_default(),
                "Properties": c.properties().cloned().unwrap_or_default(),
            })
        })
        .collect();
    canonical(&serde_json::Value::Array(list))
}

/// Configurations in the composition's JSON (see [`configurations_json`]) as EMR's types.
pub(in crate::resources::emr) fn parse_configurations(text: &str, resource: &str) -> Result<Vec<Configuration>, Error> {
    let parsed: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|err| Error::Bug(format!("{resource}: configurations are not JSON: {err}")))?;
    Ok(parsed
        .iter()
        .map(|c| {
            let properties: HashMap<String, String> = c["Properties"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
                .unwrap_or_default();
            Configuration::builder()
                .classification(c["Classification"].as_str().unwrap_or_default())
                .set_properties(Some(properties))
                .build()
        })
        .collect())
}
