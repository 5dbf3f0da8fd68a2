//! A first pass over the whole document, before any typed deserialization.
//!
//! It makes three things true for every later pass:
//! - the YAML is well formed (a syntax error surfaces here, so it is reported without a field path);
//! - no mapping has a key twice (serde would keep the last `tags` entry silently, and report a repeated
//!   struct field at the mapping rather than at the repeated key);
//! - the document, with aliases expanded, is small. serde_yaml caps alias jumps at 100 per event, but
//!   one jump can replay a huge anchored node, so a 1 MiB file could still make later passes visit
//!   billions of nodes. The budget here bounds all passes, since none visits more than this one.
//!
//! Nesting depth is bounded by serde_yaml itself (128 levels, "recursion limit exceeded"); deep flow
//! nesting, which is slow to parse, is refused before this pass (`depth.rs`).

use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Far more values than any topology has (a full one has a few hundred).
pub const MAX_NODES: usize = 20_000;

/// Walk `text`; the error, if any, carries serde_yaml's position.
pub fn scan(text: &str) -> Result<(), serde_path_to_error::Error<serde_yaml::Error>> {
    let budget = Cell::new(MAX_NODES);
    let walker = Walker { budget: &budget };
    let mut track = serde_path_to_error::Track::new();
    let de = serde_yaml::Deserializer::from_str(text);
    walker
        .deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
        .map_err(|err| serde_path_to_error::Error::new(track.path(), err))
}

/// The start of scan's duplicate-key message, so callers can tell it from syntax errors.
pub const DUPLICATE_KEY: &str = "duplicate key";

#[derive(Clone, Copy)]
struct Walker<'b> {
    budget: &'b Cell<usize>,
}

impl Walker<'_> {
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.budget.get().checked_sub(1) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(format!(
                "the document has more than {MAX_NODES} values once aliases are expanded \
                 (an alias bomb?); a topology needs far fewer"
            ))),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walker<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.spend()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.spend()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.spend()
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.spend()
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.spend()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.spend()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.spend()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value such as `!foo [..]`; walk its content too, so it counts against the budget.
        self.spend()?;
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend()?;
        let mut seen = HashSet::new();
        while map.next_key_seed(KeySeed { seen: &mut seen })?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// Reads a key as text and rejects repeats; raised inside the key's visitor, so the error points at
/// the second occurrence.
struct KeySeed<'s> {
    seen: &'s mut HashSet<String>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plain key (mappings and lists cannot be keys)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if self.seen.insert(v.to_owned()) {
            Ok(())
        } else {
            Err(E::custom(format!("{DUPLICATE_KEY} `{v}`; each key may appear only once in a mapping")))
        }
    }
}
