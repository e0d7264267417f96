//! What a channel's ring buffers look like: sub-buffer size and count, what happens when they are
//! full, and the consumer's timers. Plain data, validated once when the channel is created.

use std::time::Duration;

/// What a writer does when every sub-buffer of its ring holds unconsumed data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Drop the new event and count it: the trace keeps its beginning.
    Discard,
    /// Reuse the oldest unconsumed sub-buffer and count its events as lost: the trace keeps its
    /// end (flight recorder).
    Overwrite,
}

/// A channel's buffer configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Bytes per sub-buffer; a power of two, at least 4 KiB. One sub-buffer becomes one packet.
    pub subbuf_size: usize,
    /// Sub-buffers per stream; a power of two, at least 2.
    pub subbuf_count: usize,
    /// Full-buffer policy.
    pub mode: Mode,
    /// When set, the consumer also writes partially filled sub-buffers this often (live view);
    /// otherwise only full sub-buffers are written until the session stops.
    pub switch_timer: Option<Duration>,
    /// How long the consumer sleeps when no writer wakes it; bounds the delay of metadata
    /// updates.
    pub read_timer: Duration,
    /// Streams allocated when the channel is created, so the first events of up to this many
    /// threads do not allocate (0 = one per online CPU).
    pub prealloc_streams: usize,
}

impl Default for ChannelConfig {
    /// 512 KiB × 8 per stream in discard mode: a single writer at 10 M events/s of 22 bytes fills
    /// a sub-buffer every ~2.4 ms, leaving the consumer ~17 ms of slack.
    fn default() -> Self {
        ChannelConfig {
            subbuf_size: 512 * 1024,
            subbuf_count: 8,
            mode: Mode::Discard,
            switch_timer: None,
            read_timer: Duration::from_millis(200),
            prealloc_streams: 0,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid channel configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl ChannelConfig {
    /// Checks the limits the ring-buffer layout relies on (power-of-two sizes, offsets that fit
    /// in 32 bits).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = self.subbuf_size;
        if !s.is_power_of_two() || !(4096..=(1 << 30)).contains(&s) {
            return Err(ConfigError(format!(
                "sub-buffer size {s} must be a power of two between 4 KiB and 1 GiB"
            )));
        }
        let n = self.subbuf_count;
        if !n.is_power_of_two() || !(2..=1 << 16).contains(&n) {
            return Err(ConfigError(format!(
                "sub-buffer count {n} must be a power of two between 2 and 65536"
            )));
        }
        if self.read_timer.is_zero() {
            return Err(ConfigError("read timer must be positive".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bad_sizes_are_refused() {
        assert!(ChannelConfig::default().validate().is_ok());
        let bad = ChannelConfig {
            subbuf_size: 5000,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().0.contains("5000"));
        let bad = ChannelConfig {
            subbuf_count: 1,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}
