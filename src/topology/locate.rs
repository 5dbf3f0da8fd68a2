//! Where is `app.capacity.max` in the file? Positions for rules checked after deserialization.
//!
//! serde_yaml keeps no spans in deserialized values, but it attaches the position of the current node
//! to any error a `Deserialize` impl raises. [`find`] uses exactly that: it walks the document along a
//! path with a probe that ignores everything else and raises a marker error on reaching the target; the
//! error's location is the target's. The file is parsed again per lookup, which only happens for the
//! one error and the few warnings of a run, so it costs nothing that matters, and positions come from
//! the same parser that reports syntax errors, so they always agree.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One step into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path into the YAML document, displayed as `load_balancer.listeners[1].port`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Seg>);

impl YamlPath {
    pub fn root() -> Self {
        YamlPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Seg::Key(key.to_owned()));
        path
    }

    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Seg::Index(index));
        path
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(key) if i == 0 => f.write_str(key)?,
                Seg::Key(key) => write!(f, ".{key}")?,
                Seg::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Point at the value itself, or at its key (for "this key cannot be combined with that one").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Value,
    Key,
}

/// Line and column (1-based) of `path` in `text`; if the path is not in the file (a default was used),
/// the closest enclosing node that is; the document start as the last resort.
pub fn locate(text: &str, path: &YamlPath, target: Target) -> (usize, usize) {
    let mut segs: &[Seg] = &path.0;
    let mut target = target;
    loop {
        if let Some(found) = find(text, segs, target) {
            return found;
        }
        match segs.split_last() {
            Some((_, parent)) => segs = parent,
            None => return (1, 1),
        }
        target = Target::Value;
    }
}

/// Unlikely to collide with any message serde_yaml or a visitor produces.
const FOUND: &str = "\u{1}clusterup:locate:found";

fn find(text: &str, segs: &[Seg], target: Target) -> Option<(usize, usize)> {
    let probe = Probe { segs, target };
    match probe.deserialize(serde_yaml::Deserializer::from_str(text)) {
        Err(err) if err.to_string().contains(FOUND) => err.location().map(|loc| super::position::position(text, &loc)),
        _ => None,
    }
}

/// Walks towards `segs`. `Ok(())` means "not here"; the marker error means "found".
#[derive(Clone, Copy)]
struct Probe<'p> {
    segs: &'p [Seg],
    target: Target,
}

impl Probe<'_> {
    fn at_target(&self) -> bool {
        self.segs.is_empty() && self.target == Target::Value
    }

    fn hit<T, E: de::Error>(&self) -> Result<T, E> {
        Err(E::custom(FOUND))
    }

    fn scalar<E: de::Error>(self) -> Result<(), E> {
        if self.at_target() {
            self.hit()
        } else {
            Ok(())
        }
    }
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.scalar()
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.scalar()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value (`!tag ...`); nothing in a topology is reached through one.
        if self.at_target() {
            return self.hit();
        }
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.at_target() {
            return self.hit();
        }
        if let Some((Seg::Index(wanted), rest)) = self.segs.split_first() {
            let mut index = 0;
            loop {
                let found = if index == *wanted {
                    let probe = Probe { segs: rest, target: self.target };
                    seq.next_element_seed(probe)?.is_some()
                } else {
                    seq.next_element::<IgnoredAny>()?.is_some()
                };
                if !found || index == *wanted {
                    break;
                }
                index += 1;
            }
        }
        // serde_yaml insists that a visitor consumes the whole sequence.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.at_target() {
            return self.hit();
        }
        if let Some((Seg::Key(wanted), rest)) = self.segs.split_first() {
            // When the key itself is the target, the key probe raises the marker.
            let key_is_target = rest.is_empty() && self.target == Target::Key;
            while let Some(matched) = map.next_key_seed(KeyProbe { wanted, key_is_target })? {
                if matched {
                    map.next_value_seed(Probe { segs: rest, target: self.target })?;
                    break;
                }
                map.next_value::<IgnoredAny>()?;
            }
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// Reads one mapping key: is it the one wanted? Raises the marker (at the key's position) when the
/// key itself is the target.
struct KeyProbe<'p> {
    wanted: &'p str,
    key_is_target: bool,
}

impl<'de> DeserializeSeed<'de> for KeyProbe<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyProbe<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match (v == self.wanted, self.key_is_target) {
            (true, true) => Err(E::custom(FOUND)),
            (matched, _) => Ok(matched),
        }
    }
}
