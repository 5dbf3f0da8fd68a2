use tokio::task::JoinSet;

use crate::aws::AwsError;
use crate::model::Actual;
use crate::resources::{Ctx, FAMILIES};

/// Everything tagged with the deployment, from every family at once: a handful of filtered Describe calls
/// per family, never one call per resource.
pub async fn discover_all(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let mut tasks = JoinSet::new();
    for (index, family) in FAMILIES.iter().copied().enumerate() {
        let ctx = ctx.clone();
        tasks.spawn(async move { (index, family.discover(&ctx).await) });
    }
    let mut found: Vec<(usize, Vec<Actual>)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.map_err(|e| AwsError::local(&ctx.deployment, "Discover", e.to_string()))?;
        found.push((index, result?));
    }
    found.sort_by_key(|(index, _)| *index);
    Ok(found.into_iter().flat_map(|(_, actuals)| actuals).collect())
}
