//! Decoded field values: a small owned tree, built only for the event classes a caller asks
//! payloads of.

use std::sync::Arc;

/// A field's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A 32- or 64-bit floating point number.
    Float(f64),
    /// A string, or an array or sequence of characters (up to its first NUL).
    Str(String),
    /// An array or sequence.
    Array(Vec<Value>),
    /// A structure's members in order.
    Struct(Vec<(Arc<str>, Value)>),
    /// An enumeration: the integer and the first label whose range holds it.
    Enum {
        /// The integer value (signed or unsigned, widened).
        value: i128,
        /// The label, if a range holds the value.
        label: Option<Arc<str>>,
    },
}

impl Value {
    /// The member `name` of a structure.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(m) => field(m, name),
            _ => None,
        }
    }

    /// The value as an unsigned integer, if it is a non-negative integer or enumeration.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::UInt(u) => Some(u),
            Value::Int(i) => u64::try_from(i).ok(),
            Value::Enum { value, .. } => u64::try_from(value).ok(),
            _ => None,
        }
    }

    /// The value as a signed integer, if it is an integer or enumeration that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::UInt(u) => i64::try_from(u).ok(),
            Value::Int(i) => Some(i),
            Value::Enum { value, .. } => i64::try_from(value).ok(),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The value of member `name` in a list of named fields.
pub fn field<'v>(fields: &'v [(Arc<str>, Value)], name: &str) -> Option<&'v Value> {
    fields.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
}
