//! The objects (executables and shared libraries) of traced processes, read from disk to turn
//! code addresses into source lines. Each object is opened once: its ELF headers with `object`
//! (the first loadable segment, the build id, a `.gnu_debuglink`), its DWARF with `addr2line`,
//! from the object itself or from a separate debug file found by build id or debug link. An
//! object that cannot be used is remembered with the reason, reported once.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use addr2line::Loader;
use object::read::ReadCache;
use object::{Object, ObjectSegment};

/// An object mapped into a traced process, as the statedump described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// Where its first loadable segment was mapped.
    pub baddr: u64,
    /// Bytes mapped.
    pub memsz: u64,
    /// Its path on the traced machine.
    pub path: String,
    /// Position-independent (shared library, PIE): addresses are relative to `baddr`.
    pub is_pic: bool,
    /// Its build id, when the trace has it.
    pub build_id: Option<Vec<u8>>,
}

impl Mapped {
    pub fn contains(&self, ip: u64) -> bool {
        ip >= self.baddr && ip - self.baddr < self.memsz
    }
}

/// An object opened for line look-ups.
struct Binary {
    dwarf: Loader,
    /// Link-time address of the first loadable segment, the one `baddr` is the address of.
    first_segment: u64,
    lines: HashMap<u64, Option<(String, u32)>>,
    /// Whether an address without a line was seen (reported once).
    lineless: bool,
}

/// An object on disk: its path, and the build id the trace gave it.
type BinaryKey = (String, Option<Vec<u8>>);

/// Every object opened so far, or why it could not be.
#[derive(Default)]
pub struct Binaries {
    open: HashMap<BinaryKey, Result<Binary, String>>,
}

impl Binaries {
    /// The source line of the call that returns to `ip` in `object`: the line of the
    /// `tracepoint()` whose probe recorded `ip` as its return address.
    pub fn call_line(&mut self, object: &Mapped, ip: u64) -> Option<(String, u32)> {
        let key = (object.path.clone(), object.build_id.clone());
        let binary = self
            .open
            .entry(key)
            .or_insert_with(|| Binary::open(Path::new(&object.path), object.build_id.as_deref()))
            .as_mut()
            .ok()?;
        let address = if object.is_pic {
            ip.checked_sub(object.baddr)?
                .checked_add(binary.first_segment)?
        } else {
            ip
        };
        let line = binary
            .lines
            .entry(address)
            .or_insert_with(|| call_site(&binary.dwarf, address.checked_sub(1)?))
            .clone();
        binary.lineless |= line.is_none();
        line
    }

    /// What went wrong, one line per object: objects that could not be read, and objects
    /// with addresses that have no line.
    pub fn problems(&self) -> Vec<String> {
        let mut out = BTreeMap::new();
        for ((path, _), b) in &self.open {
            match b {
                Err(why) => {
                    out.insert(
                        path,
                        format!("{path}: {why}; its events stay on every site of their event"),
                    );
                }
                Ok(b) if b.lineless => {
                    out.insert(path, format!("{path}: some event addresses have no source line (built without -g?); those events stay on every site of their event"));
                }
                Ok(_) => {}
            }
        }
        out.into_values().collect()
    }
}

impl Binary {
    fn open(path: &Path, traced_build_id: Option<&[u8]>) -> Result<Binary, String> {
        let file = File::open(path).map_err(|e| format!("cannot open the traced binary: {e}"))?;
        let cache = ReadCache::new(file);
        let elf = object::File::parse(&cache).map_err(|e| format!("not an object file: {e}"))?;
        let build_id = elf.build_id().ok().flatten().map(<[u8]>::to_vec);
        if let (Some(traced), Some(found)) = (traced_build_id, &build_id) {
            if traced != found.as_slice() {
                return Err(format!(
                    "not the binary that was traced (build id {} on disk, {} in the trace: \
                     rebuilt since?)",
                    hex(found),
                    hex(traced)
                ));
            }
        }
        let first_segment = elf
            .segments()
            .map(|s| s.address())
            .min()
            .ok_or("no loadable segment")?;
        let dwarf_file = if elf.section_by_name(".debug_line").is_some() {
            path.to_path_buf()
        } else {
            let link = elf
                .gnu_debuglink()
                .ok()
                .flatten()
                .map(|(name, _crc)| String::from_utf8_lossy(name).into_owned());
            debug_file(path, build_id.as_deref(), link.as_deref()).ok_or(
                "no line information (stripped, or built without -g) and no separate debug file",
            )?
        };
        let dwarf = Loader::new(&dwarf_file)
            .map_err(|e| format!("cannot read the DWARF of {}: {e}", dwarf_file.display()))?;
        Ok(Binary {
            dwarf,
            first_segment,
            lines: HashMap::new(),
            lineless: false,
        })
    }
}

/// A separate debug file for a stripped object, where GDB looks for one: by build id under
/// `/usr/lib/debug/.build-id/`, then by debug link next to the object, in its `.debug/`, and
/// under `/usr/lib/debug/` plus its directory.
fn debug_file(path: &Path, build_id: Option<&[u8]>, link: Option<&str>) -> Option<PathBuf> {
    let root = Path::new("/usr/lib/debug");
    let mut candidates = Vec::new();
    if let Some(id) = build_id.filter(|id| id.len() > 1) {
        let id = hex(id);
        candidates.push(root.join(format!(".build-id/{}/{}.debug", &id[..2], &id[2..])));
    }
    if let (Some(link), Some(dir)) = (link, path.parent()) {
        candidates.push(dir.join(link));
        candidates.push(dir.join(".debug").join(link));
        candidates.push(root.join(dir.strip_prefix("/").unwrap_or(dir)).join(link));
    }
    candidates.into_iter().find(|c| c.is_file() && c != path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The source line of the code at `probe`, seen from outside the probe machinery: LTTng-UST's
/// `tracepoint()` expands to an always-inlined callback function whose call of the probe is
/// the instruction at `probe`, so the innermost frames are LTTng's header; the frame they are
/// inlined into holds the `tracepoint()` line (which an inlined user function keeps, where the
/// outermost frame would name its caller).
fn call_site(dwarf: &Loader, probe: u64) -> Option<(String, u32)> {
    let mut frames = dwarf.find_frames(probe).ok()?;
    while let Ok(Some(frame)) = frames.next() {
        let function = frame.function.as_ref().and_then(|f| f.raw_name().ok());
        let location = frame.location?;
        let file = location.file?;
        let machinery = function.is_some_and(|f| f.contains("tracepoint_cb_"))
            || file.ends_with("/lttng/tracepoint.h");
        if !machinery {
            return Some((file.to_owned(), location.line?));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function two or three lines long (where its instructions' lines start and end is the
    /// code generator's choice).
    #[inline(never)]
    fn marker() -> u32 {
        line!()
    }

    /// Where this test program's first segment is mapped, from `/proc/self/maps`.
    fn load_base(exe: &Path) -> u64 {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let (range, offset, path) = (f[0], f[2], f.get(5)?);
                (Path::new(path) == exe && u64::from_str_radix(offset, 16).ok()? == 0)
                    .then(|| u64::from_str_radix(range.split('-').next()?, 16).ok())?
            })
            .unwrap()
    }

    #[test]
    fn a_running_address_of_a_pie_resolves_to_its_source_line() {
        let exe = std::env::current_exe().unwrap().canonicalize().unwrap();
        let baddr = load_base(&exe);
        let object = Mapped {
            baddr,
            memsz: u64::MAX - baddr,
            path: exe.to_string_lossy().into_owned(),
            is_pic: true,
            build_id: None,
        };
        let mut binaries = Binaries::default();
        // As if `marker`'s first instruction were a probe call's last byte.
        let ip = marker as *const () as u64 + 1;
        let (file, line) = binaries.call_line(&object, ip).unwrap();
        assert!(file.ends_with("lttng_sites/binaries.rs"), "{file}");
        assert!(line.abs_diff(marker()) <= 1, "{line}");
        assert!(binaries.problems().is_empty());
        // Below the object: nothing, and no panic.
        assert_eq!(binaries.call_line(&object, baddr - 1), None);
    }

    #[test]
    fn a_missing_binary_is_named_once() {
        let gone = Mapped {
            baddr: 0x1000,
            memsz: 0x1000,
            path: "/nonexistent/app".into(),
            is_pic: true,
            build_id: Some(vec![1, 2]),
        };
        let mut binaries = Binaries::default();
        assert_eq!(binaries.call_line(&gone, 0x1100), None);
        assert_eq!(binaries.call_line(&gone, 0x1200), None);
        let problems = binaries.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("/nonexistent/app: cannot open"));
    }
}
