// SPDX-License-Identifier: MIT OR Apache-2.0
//! `libtracer.so`: the tracer's C API. The macros of `include/tracer/tracepoint.h` (and the
//! LTTng-UST compatible `include/lttng/*.h`) put a `struct tracer_callsite` at every
//! `tracepoint()` call and call the three functions of `include/tracer/abi.h`, implemented
//! here on tracer-core: `tracer_register` turns the C field descriptors into an event schema,
//! `tracer_reserve` / `tracer_commit` let the C code write the payload in place.
//!
//! A constructor connects the program to the recorder named by `TRACER_SESSION` when the
//! library is loaded, so the first events of `main` are recorded.
//!
//! Nothing here trusts the descriptors: a field of an unknown kind or size disables its call
//! site (mask 0) instead of writing events no reader could decode.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ops::Range;
use tracer_core::ffi::{self, Pending, SiteState};
use tracer_core::field::Scalar;
use tracer_core::schema::{EnumLabel, EventSchema, FieldKind, FieldSchema};

/// `TRACER_ABI_VERSION` of `abi.h`.
const ABI_VERSION: u32 = 1;
const FIELD_INTEGER: u32 = 1;
const FIELD_FLOAT: u32 = 2;
const FIELD_STRING: u32 = 3;
const FIELD_ARRAY: u32 = 4;
const FIELD_SEQUENCE: u32 = 5;
const FIELD_ENUM: u32 = 6;
const FLAG_SIGNED: u32 = 1;
const FLAG_HEX: u32 = 2;
const FLAG_TEXT: u32 = 4;
const FLAG_ELEM_FLOAT: u32 = 8;
/// The default level of a C event without `TRACEPOINT_LOGLEVEL` (`TRACE_DEBUG_LINE`).
const DEFAULT_LEVEL: u32 = 13;

/// `struct tracer_callsite`.
#[repr(C)]
pub struct CallSite {
    state: SiteState,
    provider: *const c_char,
    event: *const c_char,
    file: *const c_char,
    function: *const c_char,
    line: u32,
    reserved: u32,
}

/// `struct tracer_enum_entry`.
#[repr(C)]
pub struct EnumEntry {
    label: *const c_char,
    start: i64,
    end: i64,
}

/// `struct tracer_field`.
#[repr(C)]
pub struct Field {
    name: *const c_char,
    kind: u32,
    flags: u32,
    elem_bits: u32,
    length: u32,
    entries: *const EnumEntry,
    n_entries: u32,
    reserved: u32,
}

/// `struct tracer_emit`.
#[repr(C)]
pub struct Emit {
    p: *mut u8,
    end: *mut u8,
    private: Pending,
    _spare: [u64; 6 - std::mem::size_of::<Pending>() / 8],
}

const _: () = assert!(std::mem::size_of::<CallSite>() == 56);
const _: () = assert!(std::mem::size_of::<Field>() == 40);
const _: () = assert!(std::mem::size_of::<EnumEntry>() == 24);
const _: () = assert!(std::mem::size_of::<Emit>() == 64);

/// A C string as owned text (invalid UTF-8 replaced); empty for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn int(bits: u32, flags: u32) -> Option<Scalar> {
    matches!(bits, 8 | 16 | 32 | 64).then_some(Scalar::Int {
        bits: bits as u8,
        signed: flags & FLAG_SIGNED != 0,
    })
}

fn element(bits: u32, flags: u32) -> Option<Scalar> {
    if flags & FLAG_ELEM_FLOAT != 0 {
        match bits {
            32 => Some(Scalar::F32),
            64 => Some(Scalar::F64),
            _ => None,
        }
    } else {
        int(bits, flags)
    }
}

/// The schema field of one C descriptor; `None` when it is unusable.
///
/// # Safety
/// The pointers of `f` are NULL or valid per `abi.h`.
unsafe fn field(f: &Field) -> Option<FieldSchema> {
    // SAFETY: per the contract.
    let raw = unsafe { text(f.name) };
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        return None;
    }
    let kind = match f.kind {
        FIELD_INTEGER => FieldKind::Number {
            ty: int(f.elem_bits, f.flags)?,
            hex: f.flags & FLAG_HEX != 0,
        },
        FIELD_FLOAT => FieldKind::Number {
            ty: element(f.elem_bits, FLAG_ELEM_FLOAT)?,
            hex: false,
        },
        FIELD_STRING => FieldKind::Str,
        FIELD_ARRAY => FieldKind::Array {
            elem: element(f.elem_bits, f.flags)?,
            len: f.length,
            text: f.flags & FLAG_TEXT != 0,
        },
        FIELD_SEQUENCE => FieldKind::Sequence {
            elem: element(f.elem_bits, f.flags)?,
            len_bits: matches!(f.length, 8 | 16 | 32 | 64).then_some(f.length as u8)?,
            text: f.flags & FLAG_TEXT != 0,
        },
        FIELD_ENUM => {
            let entries = if f.entries.is_null() || f.n_entries == 0 {
                &[][..]
            } else {
                // SAFETY: `entries` points to `n_entries` entries per the contract.
                unsafe { std::slice::from_raw_parts(f.entries, f.n_entries as usize) }
            };
            FieldKind::Enum {
                repr: int(f.elem_bits, f.flags)?,
                labels: entries
                    .iter()
                    .map(|e| EnumLabel {
                        // SAFETY: per the contract.
                        label: unsafe { text(e.label) },
                        start: e.start,
                        end: e.end.max(e.start),
                    })
                    .collect(),
            }
        }
        _ => return None,
    };
    Some(FieldSchema { name, kind })
}

/// Registers a C call site on its first hit (see `abi.h`).
///
/// # Safety
/// `site` is a static `struct tracer_callsite` of a loaded module; `fields` points to
/// `n_fields` descriptors (or is NULL with 0).
#[no_mangle]
pub unsafe extern "C" fn tracer_register(
    site: *mut CallSite,
    fields: *const Field,
    n_fields: u32,
    loglevel: i32,
) {
    // SAFETY: per the contract, `site` lives as long as its module (static storage).
    let Some(site) = (unsafe { site.as_ref() }) else {
        return;
    };
    if site.state.abi() != ABI_VERSION {
        ffi::disable(&site.state);
        return;
    }
    let descs = if fields.is_null() || n_fields == 0 {
        &[][..]
    } else {
        // SAFETY: per the contract.
        unsafe { std::slice::from_raw_parts(fields, n_fields as usize) }
    };
    // SAFETY: per the contract.
    let Some(fields) = descs
        .iter()
        .map(|f| unsafe { field(f) })
        .collect::<Option<Vec<_>>>()
    else {
        ffi::disable(&site.state);
        return;
    };
    let level = u32::try_from(loglevel)
        .ok()
        .filter(|&l| l <= 14)
        .unwrap_or(DEFAULT_LEVEL);
    // SAFETY: the call site's strings are literals of its module.
    let (provider, event, file, function) = unsafe {
        (
            text(site.provider),
            text(site.event),
            text(site.file),
            text(site.function),
        )
    };
    let line = site.line;
    ffi::register(&site.state, move |id| EventSchema {
        id,
        provider,
        event,
        file,
        line,
        function,
        level,
        fields,
    });
}

/// A module (the program or a shared object) that holds call sites is being unloaded: the
/// library never touches them again (see `abi.h`). `module` is an address inside it; the
/// header passes its `__dso_handle` from a destructor, so this runs from `dlclose` or `exit`.
///
/// # Safety
/// `module` is NULL or an address inside a loaded module.
#[no_mangle]
pub unsafe extern "C" fn tracer_unregister_module(module: *const c_void) {
    if module.is_null() {
        return;
    }
    let segments = module_segments(module as usize);
    if segments.is_empty() {
        return;
    }
    ffi::unregister_sites(|site| {
        let at = site as *const SiteState as usize;
        site.abi() != 0 && segments.iter().any(|r| r.contains(&at))
    });
}

/// The loaded segments of the module that holds `addr` (none when no module does).
fn module_segments(addr: usize) -> Vec<Range<usize>> {
    struct Search {
        addr: usize,
        found: Vec<Range<usize>>,
    }
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `data` is the `Search` below; `info` and its program headers are the
        // loader's, valid during the callback.
        let (search, info) = unsafe { (&mut *data.cast::<Search>(), &*info) };
        if info.dlpi_phdr.is_null() {
            return 0;
        }
        // SAFETY: as above.
        let headers =
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        let segments: Vec<Range<usize>> = headers
            .iter()
            .filter(|h| h.p_type == libc::PT_LOAD)
            .map(|h| {
                let start = (info.dlpi_addr as usize).wrapping_add(h.p_vaddr as usize);
                start..start.saturating_add(h.p_memsz as usize)
            })
            .collect();
        if segments.iter().any(|r| r.contains(&search.addr)) {
            search.found = segments;
            return 1;
        }
        0
    }
    let mut search = Search {
        addr,
        found: Vec::new(),
    };
    // SAFETY: `visit` matches the callback type and only uses `search` during the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&mut search as *mut Search).cast()) };
    search.found
}

fn publish(e: &mut Emit, p: *mut u8) -> c_int {
    if p.is_null() {
        e.p = std::ptr::null_mut();
        e.end = std::ptr::null_mut();
        return 0;
    }
    e.p = p;
    // SAFETY: the library reserved `len` bytes at `p`.
    e.end = unsafe { p.add(e.private.len() as usize) };
    1
}

/// Reserves a payload (see `abi.h`).
///
/// # Safety
/// `site` is a registered call site, `e` points to a `struct tracer_emit`.
#[no_mangle]
pub unsafe extern "C" fn tracer_reserve(
    site: *mut CallSite,
    mask: u64,
    len: usize,
    e: *mut Emit,
) -> c_int {
    // SAFETY: per the contract.
    let (Some(site), Some(e)) = (unsafe { site.as_ref() }, unsafe { e.as_mut() }) else {
        return 0;
    };
    let p = ffi::reserve(&site.state, mask, len, &mut e.private);
    publish(e, p)
}

/// Commits a payload (see `abi.h`).
///
/// # Safety
/// `e` is the `struct tracer_emit` of a successful [`tracer_reserve`].
#[no_mangle]
pub unsafe extern "C" fn tracer_commit(e: *mut Emit) -> c_int {
    // SAFETY: per the contract.
    let Some(e) = (unsafe { e.as_mut() }) else {
        return 0;
    };
    let complete = !e.p.is_null() && e.p == e.end;
    let p = ffi::commit(&mut e.private, complete);
    publish(e, p)
}

extern "C" fn connect_at_load() {
    ffi::ensure_connected();
}

/// Runs when the library is loaded: a recorded program connects before `main`.
#[used]
#[link_section = ".init_array"]
static CONNECT_AT_LOAD: extern "C" fn() = connect_at_load;
