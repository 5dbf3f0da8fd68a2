use super::support::concurrently;
use super::{of, Ctx, Error};
use crate::model::{Actual, Kind};

/// Everything tagged with the deployment: every kind found on its own at once (a handful of filtered
/// Describe calls each, never one call per resource), then every child kind through each of its parents.
pub async fn discover_all(ctx: &Ctx) -> Result<Vec<Actual>, Error> {
    let roots = Kind::ALL.iter().copied().filter(|&kind| of(kind).spec().parent.is_none());
    let found = concurrently(ctx, roots, |ctx, kind| async move { of(kind).discover(&ctx, None).await }).await?;
    let mut all: Vec<Actual> = found.into_iter().flatten().collect();
    let children: Vec<(Kind, Actual)> = Kind::ALL
        .iter()
        .filter_map(|&kind| of(kind).spec().parent.map(|parent| (kind, parent)))
        .flat_map(|(kind, parent)| all.iter().filter(move |a| a.kind == parent).map(move |a| (kind, a.clone())))
        .collect();
    let found =
        concurrently(ctx, children, |ctx, (kind, parent)| async move { of(kind).discover(&ctx, Some(&parent)).await })
            .await?;
    all.extend(found.into_iter().flatten());
    Ok(all)
}
