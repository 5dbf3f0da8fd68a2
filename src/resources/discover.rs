use super::support::concurrently;
use super::{of, Ctx, Error};
use crate::model::{Actual, Kind};

/// Everything tagged with the deployment: every kind found on its own at once (a handful of filtered
/// Describe calls each, never one call per resource), then every child kind through each of its parents,
/// a generation at a time (listener rules through the listeners found through the load balancer).
pub async fn discover_all(ctx: &Ctx) -> Result<Vec<Actual>, Error> {
    let roots = Kind::ALL.iter().copied().filter(|&kind| of(kind).spec().parent.is_none());
    let found = concurrently(ctx, roots, |ctx, kind| async move { of(kind).discover(&ctx, None).await }).await?;
    let mut generation: Vec<Actual> = found.into_iter().flatten().collect();
    let mut all = Vec::new();
    // Each pass finds the children of what the last one found; the registry's tests check that parents
    // form no cycle, so the passes end (one per level of nesting, plus one that finds nothing).
    while !generation.is_empty() {
        let children: Vec<(Kind, Actual)> = Kind::ALL
            .iter()
            .filter_map(|&kind| of(kind).spec().parent.map(|parent| (kind, parent)))
            .flat_map(|(kind, parent)| {
                generation.iter().filter(move |a| a.kind == parent).map(move |a| (kind, a.clone()))
            })
            .collect();
        all.append(&mut generation);
        let found =
            concurrently(
                ctx,
                children,
                |ctx, (kind, parent)| async move { of(kind).discover(&ctx, Some(&parent)).await },
            )
            .await?;
        generation = found.into_iter().flatten().collect();
    }
    Ok(all)
}
