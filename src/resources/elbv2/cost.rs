//! What the Application Load Balancer costs: by the hour, and by the capacity units its traffic uses
//! (shown as a note).

use crate::model::charge::{Charge, Item, PriceKey};

pub(super) fn load_balancer(_: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    Some(Charge::hourly("Application Load Balancer", PriceKey::AlbHour, Some(PriceKey::AlbLcuHour)))
}
