//! The trace clock: the time-stamp counter where it is invariant, `CLOCK_MONOTONIC` elsewhere.
//!
//! Every event carries a timestamp, so the clock read is a large share of an event's cost: the
//! vDSO `clock_gettime` takes ~17 ns here, `rdtsc` a fraction of it. The TSC is only usable as a
//! trace clock when it ticks at a constant rate through frequency changes and deep sleep
//! ("invariant TSC", CPUID leaf 0x8000_0007 EDX bit 8, what Linux shows as `constant_tsc` +
//! `nonstop_tsc`); its frequency is then calibrated once against `CLOCK_MONOTONIC` and written
//! into the trace metadata with an offset to the Unix epoch, so readers convert ticks to time.

use std::sync::OnceLock;
use std::time::Duration;

/// Which counter backs the trace clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockSource {
    /// The invariant time-stamp counter, read with `rdtsc`.
    Tsc,
    /// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds.
    Monotonic,
}

/// The process-wide trace clock and how to convert its values (what the TSDL `clock` block says).
#[derive(Clone, Copy, Debug)]
pub struct TraceClock {
    /// The counter read on every event.
    pub source: ClockSource,
    /// Ticks per second.
    pub freq: u64,
    /// Seconds from the Unix epoch to the clock's origin.
    pub offset_s: i64,
    /// Ticks to add to `offset_s` (always in `0..freq`).
    pub offset_ticks: u64,
}

static CLOCK: OnceLock<TraceClock> = OnceLock::new();

/// Environment variable that forces the `CLOCK_MONOTONIC` fallback (`TRACER_CORE_CLOCK=monotonic`),
/// for machines whose TSC is invariant on paper but not synchronised between sockets.
pub const CLOCK_ENV: &str = "TRACER_CORE_CLOCK";

/// The trace clock, chosen and calibrated on first use (which costs ~20 ms, once per process).
pub fn trace_clock() -> &'static TraceClock {
    CLOCK.get_or_init(|| {
        let forced_monotonic = std::env::var(CLOCK_ENV).is_ok_and(|v| v == "monotonic");
        if !forced_monotonic && tsc_is_invariant() {
            calibrate_tsc()
        } else {
            monotonic_clock()
        }
    })
}

/// Reads the trace clock. Callers must have called [`trace_clock`] once before (sessions do when
/// they are created), otherwise the TSC is read even where it is not usable.
#[inline(always)]
pub fn now() -> u64 {
    match CLOCK.get() {
        Some(TraceClock {
            source: ClockSource::Monotonic,
            ..
        }) => monotonic_ns(),
        _ => read_tsc(),
    }
}

/// Reads the trace clock and keeps every later instruction from starting before the read is
/// done (`lfence` on x86): the recorder's beacon time must be read before its `membarrier`
/// reaches the writers' CPUs (see [`crate::membarrier`]).
pub fn now_fenced() -> u64 {
    let t = now();
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `lfence` has no operands and exists on every x86_64 CPU.
    unsafe {
        core::arch::x86_64::_mm_lfence()
    };
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
    t
}

#[inline(always)]
fn read_tsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` has no memory effects and exists on every x86_64 CPU.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        monotonic_ns()
    }
}

#[cfg(target_arch = "x86_64")]
fn tsc_is_invariant() -> bool {
    let max_ext = core::arch::x86_64::__cpuid(0x8000_0000).eax;
    max_ext >= 0x8000_0007 && core::arch::x86_64::__cpuid(0x8000_0007).edx & (1 << 8) != 0
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc_is_invariant() -> bool {
    false
}

fn clock_ns(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    unsafe { libc::clock_gettime(id, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

#[inline]
fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// Splits "origin of this clock, in ns since the epoch" into the TSDL `offset_s` + `offset`.
fn epoch_offset(origin_ns: i128, freq: u64) -> (i64, u64) {
    let s = origin_ns.div_euclid(1_000_000_000);
    let rem_ns = origin_ns.rem_euclid(1_000_000_000);
    (s as i64, (rem_ns * freq as i128 / 1_000_000_000) as u64)
}

fn monotonic_clock() -> TraceClock {
    let real = clock_ns(libc::CLOCK_REALTIME) as i128;
    let mono = monotonic_ns() as i128;
    let (offset_s, offset_ticks) = epoch_offset(real - mono, 1_000_000_000);
    TraceClock {
        source: ClockSource::Monotonic,
        freq: 1_000_000_000,
        offset_s,
        offset_ticks,
    }
}

/// Measures TSC ticks against `CLOCK_MONOTONIC` over ~20 ms. Each end takes the tightest of a
/// few (tsc, ns) pairs so a preemption between the two reads does not skew the ratio.
fn calibrate_tsc() -> TraceClock {
    fn pair() -> (u64, u64) {
        (0..8)
            .map(|_| {
                let t0 = read_tsc();
                let ns = monotonic_ns();
                let t1 = read_tsc();
                (t1 - t0, t0 + (t1 - t0) / 2, ns)
            })
            .min_by_key(|&(width, _, _)| width)
            .map(|(_, tsc, ns)| (tsc, ns))
            .unwrap_or((read_tsc(), monotonic_ns()))
    }
    let (tsc0, ns0) = pair();
    std::thread::sleep(Duration::from_millis(20));
    let (tsc1, ns1) = pair();
    let (dt, dns) = (tsc1.wrapping_sub(tsc0), ns1.saturating_sub(ns0));
    if dns == 0 || dt == 0 {
        return monotonic_clock();
    }
    // Round to 1 kHz: the measurement is not more precise than that, and a round number reads
    // better in the metadata.
    let freq = ((dt as u128 * 1_000_000_000 / dns as u128) as u64 + 500) / 1000 * 1000;
    // origin (epoch ns) = realtime now - tsc now converted to ns.
    let real = clock_ns(libc::CLOCK_REALTIME) as i128;
    let tsc = read_tsc() as i128;
    let tsc_ns = tsc * 1_000_000_000 / freq as i128;
    let (offset_s, offset_ticks) = epoch_offset(real - tsc_ns, freq);
    TraceClock {
        source: ClockSource::Tsc,
        freq,
        offset_s,
        offset_ticks,
    }
}

impl TraceClock {
    /// Nanoseconds since the Unix epoch of clock value `ticks`, as a trace reader computes
    /// them from the metadata.
    pub fn to_unix_ns(&self, ticks: u64) -> i128 {
        self.offset_s as i128 * 1_000_000_000
            + (self.offset_ticks as i128 + ticks as i128) * 1_000_000_000 / self.freq.max(1) as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_monotonic_and_near_realtime() {
        let c = trace_clock();
        let a = now();
        let b = now();
        assert!(b >= a);
        // Converting "now" with the metadata's offset must land within a second of the
        // wall clock: this is what a trace reader does with our timestamps.
        let ns = c.to_unix_ns(now());
        let real = clock_ns(libc::CLOCK_REALTIME) as i128;
        assert!(
            (ns - real).abs() < 1_000_000_000,
            "clock off by {} ns",
            ns - real
        );
    }

    #[test]
    fn epoch_offset_splits_negative_and_positive() {
        assert_eq!(epoch_offset(1_500_000_000, 1_000), (1, 500));
        assert_eq!(epoch_offset(-500_000_000, 1_000), (-1, 500));
    }
}
