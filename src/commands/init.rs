//! `clusterup init`: a commented starter topology, assembled from the sections in templates/init/, that
//! validates as written, without warnings.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::ExitStatus;
use crate::output::Printer;
use crate::topology;

const HEADER: &str = include_str!("../../templates/init/header.yaml");
const WEB: &str = include_str!("../../templates/init/web.yaml");
const APP: &str = include_str!("../../templates/init/app.yaml");
const GROUPS: &str = include_str!("../../templates/init/groups.yaml");
const DATABASE: &str = include_str!("../../templates/init/database.yaml");
const STORAGE: &str = include_str!("../../templates/init/storage.yaml");
const SPARK: &str = include_str!("../../templates/init/spark.yaml");

/// The optional parts of the starter, beyond the load balancer and the app nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sections {
    /// Several node groups (a web group, a singleton coordinator, workers after it) instead of `app:`.
    pub groups: bool,
    pub database: bool,
    pub storage: bool,
    pub spark: bool,
}

pub fn run(
    name: &str,
    region: &str,
    sections: Sections,
    out: Option<&Path>,
    force: bool,
    printer: &Printer,
) -> Result<ExitStatus> {
    let path = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(format!("{name}.yaml")));
    let text = render(name, region, sections, &path.display().to_string());
    // Check it exactly as `validate` will read it: a bad --region is reported here, before any file is
    // written, and the starter's promise (valid, no warnings) is kept or visibly broken.
    let checked = topology::parse(&path, &text).context("the starter topology is not valid")?;
    for warning in &checked.warnings {
        printer.warn(&warning.to_string());
    }
    write(&path, &text, force)?;
    printer.status(&format!(
        "Wrote {}: {}.\nNext: `clusterup validate {}`, then `clusterup plan {}` (needs AWS credentials).",
        path.display(),
        summary(sections),
        path.display(),
        path.display()
    ));
    Ok(ExitStatus::Success)
}

/// Create `path`, or with `force` replace it; never overwrite by accident, even if the file appears
/// between a check and the write (create_new is one atomic step).
fn write(path: &Path, text: &str, force: bool) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} already exists; pass --force to overwrite it, or --out to write somewhere else", path.display())
        }
        Err(err) => return Err(err).with_context(|| format!("creating {}", path.display())),
    };
    file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// `a load balancer in front of 2 to 4 app nodes, a shared MySQL database and a Spark cluster`.
fn summary(sections: Sections) -> String {
    let mut parts = vec![if sections.groups {
        "a load balancer in front of 2 to 4 web nodes, a coordinator node and 2 to 6 workers".to_owned()
    } else {
        "a load balancer in front of 2 to 4 app nodes".to_owned()
    }];
    if sections.database {
        parts.push("a shared MySQL database".into());
    }
    if sections.storage {
        parts.push("a shared data folder (EFS)".into());
    }
    if sections.spark {
        parts.push("a Spark cluster (EMR)".into());
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
    }
}

/// The starter's text: the header and the web tier, then each section asked for.
pub fn render(name: &str, region: &str, sections: Sections, file: &str) -> String {
    let mut text = String::from(HEADER);
    text.push_str(WEB);
    text.push_str(if sections.groups { GROUPS } else { APP });
    if sections.database {
        text.push_str(DATABASE);
    }
    if sections.storage {
        text.push_str(STORAGE);
    }
    if sections.spark {
        // The metastore follows the database: shared when there is one (the tables outlive the cluster).
        let metastore = if sections.database {
            "# Hive tables live in the shared database, so they outlive the cluster.\n  metastore: shared_database"
        } else {
            "# Hive tables live on the master node and go with the cluster; add a `database` section and\n  \
             # write `shared_database` here to keep them.\n  metastore: local"
        };
        text.push_str(&SPARK.replace("{{metastore}}", metastore));
    }
    text.replace("{{name}}", name)
        .replace("{{region}}", region)
        .replace("{{file}}", file)
        .replace("{{summary}}", &summary(sections))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<Sections> {
        (0..16)
            .map(|bits| Sections {
                database: bits & 1 != 0,
                storage: bits & 2 != 0,
                spark: bits & 4 != 0,
                groups: bits & 8 != 0,
            })
            .collect()
    }

    #[test]
    fn every_variant_fills_every_placeholder_and_names_its_sections() {
        for sections in every_variant() {
            let text = render("shop", "eu-west-1", sections, "shop.yaml");
            assert!(!text.contains("{{"), "{sections:?}: unfilled placeholder in\n{text}");
            assert!(text.starts_with("# yaml-language-server: $schema=topology.schema.json\n"), "{text}");
            assert!(text.contains("\nname: shop\nregion: eu-west-1\n"), "{text}");
            assert_eq!(text.contains("\ndatabase:"), sections.database, "{sections:?}");
            assert_eq!(text.contains("\nshared_storage:"), sections.storage, "{sections:?}");
            assert_eq!(text.contains("\nspark:"), sections.spark, "{sections:?}");
            assert_eq!(text.contains("\nnode_groups:"), sections.groups, "{sections:?}");
            assert_eq!(text.contains("\napp:"), !sections.groups, "{sections:?}");
        }
    }

    #[test]
    fn the_summary_reads_as_a_sentence() {
        assert_eq!(summary(Sections::default()), "a load balancer in front of 2 to 4 app nodes");
        let all = Sections { database: true, storage: true, spark: true, groups: false };
        assert_eq!(
            summary(all),
            "a load balancer in front of 2 to 4 app nodes, a shared MySQL database, a shared data folder (EFS) and a Spark cluster (EMR)"
        );
    }
}
