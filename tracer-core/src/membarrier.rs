//! An asymmetric fence between a traced program's writers and its recorder: the writers pay
//! nothing (their in-event flag is a plain store), the recorder pays a `membarrier(2)` system
//! call a few times a second, which runs a full memory barrier on every CPU currently running
//! a registered program.
//!
//! What it buys: after [`fence_registered`] returns, for each writer thread, either the thread
//! was interrupted after its flag store (which is then visible), or it reads the clock only
//! after the interruption, hence after the time the recorder read before the barrier. That is
//! how the recorder proves an idle stream has nothing older than that time still to come (the
//! live view's INACTIVE beacons), without a fence on the writers' fast path.

/// `MEMBARRIER_CMD_GLOBAL_EXPEDITED` (Linux 4.16).
const GLOBAL_EXPEDITED: libc::c_int = 1 << 1;
/// `MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED`.
const REGISTER_GLOBAL_EXPEDITED: libc::c_int = 1 << 2;

fn membarrier(cmd: libc::c_int) -> bool {
    // SAFETY: membarrier takes two integers and touches no memory of ours.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0, 0) == 0 }
}

/// Program side: asks the kernel to include this process in the recorder's barriers. It waits
/// for an RCU grace period (~15 ms in a threaded process): call it off the program's path.
/// False when the kernel cannot (too old, or the call is filtered): the recorder then sends no
/// beacons for this process, and its live view waits for data as before.
pub fn register() -> bool {
    membarrier(REGISTER_GLOBAL_EXPEDITED)
}

/// Recorder side: a full memory barrier on every CPU running a registered process, and on
/// this one. False when the system call failed (no guarantee was given).
pub fn fence_registered() -> bool {
    membarrier(GLOBAL_EXPEDITED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_process_can_be_fenced() {
        // Kernels without membarrier (or sandboxes filtering it) only lose beacons; the
        // machines the tests run on have it.
        assert!(register(), "membarrier registration failed");
        assert!(fence_registered());
    }
}
