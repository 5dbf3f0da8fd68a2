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
                // EMR's model lets a configuration go without a classification: read as "", it never
                // equals one clusterup asks for.
                "Classification": c.classification().unwrap_or_default(),
                // Absent: a classification with no properties of its own.
                "Properties": c.properties().cloned().unwrap_or_default(),
            })
        })
        .collect();
    canonical(&serde_json::Value::Array(list))
}

/// Configurations in the composition's JSON (see [`configurations_json`]) as EMR's types. Anything but a
/// list of classifications with text properties is a bug, never an empty value sent to EMR.
pub(in crate::resources::emr) fn parse_configurations(text: &str, resource: &str) -> Result<Vec<Configuration>, Error> {
    let parsed: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|err| Error::Bug(format!("{resource}: configurations are not JSON: {err}")))?;
    parsed
        .iter()
        .map(|c| {
            let wrong = |what: String| Error::Bug(format!("{resource}: the configuration {c} has {what}"));
            let classification = c["Classification"].as_str().ok_or_else(|| wrong("no classification".into()))?;
            let properties: HashMap<String, String> = match &c["Properties"] {
                // None given: the classification has no properties of its own.
                serde_json::Value::Null => HashMap::new(),
                serde_json::Value::Object(map) => map
                    .iter()
                    .map(|(k, v)| match v.as_str() {
                        Some(text) => Ok((k.clone(), text.to_owned())),
                        None => Err(wrong(format!("a property {k} that is not text"))),
                    })
                    .collect::<Result<_, Error>>()?,
                _ => return Err(wrong("properties that are not a map".into())),
            };
            Ok(Configuration::builder().classification(classification).set_properties(Some(properties)).build())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_go_to_emr_and_back_as_the_same_text() {
        let text = r#"[{"Classification":"hive-site","Properties":{"hive.metastore.uris":"thrift://m:9083"}},{"Classification":"spark","Properties":{}}]"#;
        let parsed = parse_configurations(text, "spark/cluster").expect("parsed");
        assert_eq!(parsed.len(), 2);
        assert_eq!(configurations_json(&parsed), canonical(&serde_json::from_str(text).expect("json")));
    }

    #[test]
    fn configurations_clusterup_cannot_have_written_are_a_bug_not_empty_values() {
        for (text, why) in [
            (r#"[{"Properties":{}}]"#, "no classification"),
            (r#"[{"Classification":"spark","Properties":{"spark.executor.cores":4}}]"#, "spark.executor.cores"),
            (r#"[{"Classification":"spark","Properties":["a"]}]"#, "not a map"),
            ("{", "not JSON"),
        ] {
            let err = parse_configurations(text, "spark/cluster").expect_err(text).to_string();
            assert!(err.contains(why) && err.contains("bug in clusterup"), "{err}");
        }
    }
}
