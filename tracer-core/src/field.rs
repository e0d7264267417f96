//! Event fields: the types a tracepoint can record, how each is serialized into the reserved
//! slot, and how a reader skips it.
//!
//! Every value is written little-endian and byte-aligned (no padding), which is how the TSDL in
//! [`crate::ctf::metadata`] declares it. Strings are written up to their first NUL byte plus a
//! terminating NUL, so a string holding a NUL cannot make the rest of the event unreadable.

/// A fixed-size number: the element type of arrays and sequences, and the representation of
/// enumerations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// Integer of `bits` (8, 16, 32 or 64) bits.
    Int {
        /// Size in bits.
        bits: u8,
        /// Two's complement when true.
        signed: bool,
    },
    /// IEEE 754 binary32.
    F32,
    /// IEEE 754 binary64.
    F64,
}

impl Scalar {
    /// Encoded size in bytes.
    pub const fn size(self) -> usize {
        match self {
            Scalar::Int { bits, .. } => bits as usize / 8,
            Scalar::F32 => 4,
            Scalar::F64 => 8,
        }
    }
}

/// The type of one event field, as the metadata describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A number.
    Scalar(Scalar),
    /// `bool`, stored as one byte and described as an enumeration `false`/`true`.
    Bool,
    /// UTF-8 text, NUL-terminated.
    Str,
    /// A fixed number of numbers.
    Array(Scalar, usize),
    /// A u32 element count followed by that many numbers.
    Sequence(Scalar),
    /// An integer with named values.
    Enum {
        /// The integer representation.
        repr: Scalar,
        /// Name and value of every variant.
        labels: &'static [(&'static str, i64)],
    },
}

impl FieldType {
    /// Position after the field starting at `bytes[pos..]`, or `None` if it is cut short.
    pub fn skip(&self, bytes: &[u8], pos: usize) -> Option<usize> {
        let end = match *self {
            FieldType::Scalar(s) | FieldType::Enum { repr: s, .. } => pos + s.size(),
            FieldType::Bool => pos + 1,
            FieldType::Str => pos + memchr::memchr(0, bytes.get(pos..)?)? + 1,
            FieldType::Array(s, n) => pos + s.size().checked_mul(n)?,
            FieldType::Sequence(s) => {
                let n = u32::from_le_bytes(bytes.get(pos..pos + 4)?.try_into().ok()?);
                pos + 4 + s.size().checked_mul(n as usize)?
            }
        };
        (end <= bytes.len()).then_some(end)
    }
}

/// A field's name and type, as declared at a call site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDesc {
    /// The name given in the tracepoint (`id` in `id = req.id`).
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
}

/// The bytes reserved for one event's payload. Writes past the reservation are dropped and
/// make the event invalid (it is then not committed), so a wrong `encoded_len` can never
/// corrupt the buffer.
pub struct PayloadWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> PayloadWriter<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        PayloadWriter { buf, pos: 0 }
    }

    /// Appends raw bytes.
    #[inline(always)]
    pub fn put(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }

    /// True when exactly the reserved bytes were written.
    #[inline(always)]
    pub(crate) fn is_complete(&self) -> bool {
        self.pos == self.buf.len()
    }
}

/// A value a tracepoint can record. Implemented for integers, floats, `bool`, strings, fixed
/// arrays and slices of numbers (sequences); [`crate::trace_enum!`] implements it for
/// field-less enums.
pub trait TraceField {
    /// How the metadata describes the field.
    const TYPE: FieldType;
    /// Bytes [`TraceField::encode`] writes.
    fn encoded_len(&self) -> usize;
    /// Writes the value; must write exactly [`TraceField::encoded_len`] bytes.
    fn encode(&self, w: &mut PayloadWriter<'_>);
}

/// Numbers, usable as array and sequence elements.
pub trait ScalarField: TraceField + Copy {
    /// The element type.
    const SCALAR: Scalar;
    /// Appends the little-endian encoding.
    fn put_le(self, w: &mut PayloadWriter<'_>);
}

macro_rules! scalar_impls {
    ($($t:ty => $s:expr),* $(,)?) => {$(
        impl TraceField for $t {
            const TYPE: FieldType = FieldType::Scalar($s);
            #[inline(always)]
            fn encoded_len(&self) -> usize { std::mem::size_of::<$t>() }
            #[inline(always)]
            fn encode(&self, w: &mut PayloadWriter<'_>) { w.put(&self.to_le_bytes()) }
        }
        impl ScalarField for $t {
            const SCALAR: Scalar = $s;
            #[inline(always)]
            fn put_le(self, w: &mut PayloadWriter<'_>) { w.put(&self.to_le_bytes()) }
        }
    )*};
}

scalar_impls! {
    u8 => Scalar::Int { bits: 8, signed: false },
    u16 => Scalar::Int { bits: 16, signed: false },
    u32 => Scalar::Int { bits: 32, signed: false },
    u64 => Scalar::Int { bits: 64, signed: false },
    i8 => Scalar::Int { bits: 8, signed: true },
    i16 => Scalar::Int { bits: 16, signed: true },
    i32 => Scalar::Int { bits: 32, signed: true },
    i64 => Scalar::Int { bits: 64, signed: true },
    f32 => Scalar::F32,
    f64 => Scalar::F64,
}

impl TraceField for usize {
    const TYPE: FieldType = FieldType::Scalar(Scalar::Int {
        bits: 64,
        signed: false,
    });
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        8
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        w.put(&(*self as u64).to_le_bytes())
    }
}

impl TraceField for isize {
    const TYPE: FieldType = FieldType::Scalar(Scalar::Int {
        bits: 64,
        signed: true,
    });
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        8
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        w.put(&(*self as i64).to_le_bytes())
    }
}

impl TraceField for bool {
    const TYPE: FieldType = FieldType::Bool;
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        1
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        w.put(&[u8::from(*self)])
    }
}

/// The part of a string that is recorded: everything before the first NUL.
#[inline(always)]
fn recorded(s: &str) -> &[u8] {
    let b = s.as_bytes();
    match memchr::memchr(0, b) {
        Some(n) => &b[..n],
        None => b,
    }
}

impl TraceField for str {
    const TYPE: FieldType = FieldType::Str;
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        recorded(self).len() + 1
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        w.put(recorded(self));
        w.put(&[0]);
    }
}

impl TraceField for String {
    const TYPE: FieldType = FieldType::Str;
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_str().encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        self.as_str().encode(w)
    }
}

impl<T: ScalarField, const N: usize> TraceField for [T; N] {
    const TYPE: FieldType = FieldType::Array(T::SCALAR, N);
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        N * T::SCALAR.size()
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        for v in self {
            v.put_le(w);
        }
    }
}

/// Sequences longer than this are cut (the length field is a u32).
const MAX_SEQUENCE: usize = u32::MAX as usize;

impl<T: ScalarField> TraceField for [T] {
    const TYPE: FieldType = FieldType::Sequence(T::SCALAR);
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        4 + self.len().min(MAX_SEQUENCE) * T::SCALAR.size()
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        let items = &self[..self.len().min(MAX_SEQUENCE)];
        w.put(&(items.len() as u32).to_le_bytes());
        for v in items {
            v.put_le(w);
        }
    }
}

impl<T: ScalarField> TraceField for Vec<T> {
    const TYPE: FieldType = FieldType::Sequence(T::SCALAR);
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_slice().encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        self.as_slice().encode(w)
    }
}

impl<T: TraceField + ?Sized> TraceField for &T {
    const TYPE: FieldType = T::TYPE;
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut PayloadWriter<'_>) {
        (**self).encode(w)
    }
}

/// Implements [`TraceField`] for a field-less `Copy` enum, recorded as an integer of the given
/// type with the variant names as labels:
///
/// ```
/// #[derive(Clone, Copy)]
/// enum Color { Red, Green = 5 }
/// tracer_core::trace_enum!(Color as u8 { Red, Green });
/// ```
#[macro_export]
macro_rules! trace_enum {
    ($ty:ty as $repr:ty { $($variant:ident),+ $(,)? }) => {
        impl $crate::TraceField for $ty {
            const TYPE: $crate::FieldType = $crate::FieldType::Enum {
                repr: <$repr as $crate::ScalarField>::SCALAR,
                labels: &[$((stringify!($variant), <$ty>::$variant as i64)),+],
            };
            #[inline(always)]
            fn encoded_len(&self) -> usize {
                ::std::mem::size_of::<$repr>()
            }
            #[inline(always)]
            fn encode(&self, w: &mut $crate::PayloadWriter<'_>) {
                w.put(&(*self as $repr).to_le_bytes())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode<T: TraceField + ?Sized>(v: &T) -> Vec<u8> {
        let mut buf = vec![0u8; v.encoded_len()];
        let mut w = PayloadWriter::new(&mut buf);
        v.encode(&mut w);
        assert!(w.is_complete());
        let end = T::TYPE.skip(&buf, 0);
        assert_eq!(
            end,
            Some(buf.len()),
            "skip must agree with encode for {:?}",
            T::TYPE
        );
        buf
    }

    #[test]
    fn encodings_are_little_endian_and_skippable() {
        assert_eq!(encode(&-2i16), vec![0xfe, 0xff]);
        assert_eq!(encode(&1.5f32), 1.5f32.to_le_bytes().to_vec());
        assert_eq!(encode("ab"), b"ab\0".to_vec());
        assert_eq!(encode(&[1u16, 2]), vec![1, 0, 2, 0]);
        assert_eq!(encode(&vec![7u8, 8][..]), vec![2, 0, 0, 0, 7, 8]);
        assert_eq!(encode(&true), vec![1]);
    }

    #[test]
    fn strings_stop_at_the_first_nul() {
        assert_eq!(encode("a\0b"), b"a\0".to_vec());
    }

    #[test]
    fn overlong_writes_leave_the_event_incomplete() {
        let mut buf = [0u8; 2];
        let mut w = PayloadWriter::new(&mut buf);
        w.put(&[1, 2, 3]);
        assert!(!w.is_complete());
    }

    #[test]
    fn skip_rejects_cut_fields() {
        assert_eq!(FieldType::Str.skip(b"abc", 0), None);
        assert_eq!(
            FieldType::Sequence(Scalar::F64).skip(&[1, 0, 0, 0, 1], 0),
            None
        );
    }

    #[derive(Clone, Copy)]
    enum Color {
        Red,
        Green = 5,
    }
    crate::trace_enum!(Color as u8 { Red, Green });

    #[test]
    fn enums_record_their_discriminant_and_labels() {
        assert_eq!(encode(&Color::Green), vec![5]);
        assert_eq!(encode(&Color::Red), vec![0]);
        let FieldType::Enum { labels, .. } = Color::TYPE else {
            panic!("not an enum")
        };
        assert_eq!(labels, &[("Red", 0), ("Green", 5)]);
    }
}
