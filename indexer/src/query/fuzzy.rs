//! A small fuzzy matcher for completion and symbol search: the typed pattern must appear in
//! order in the candidate (case-insensitively). A prefix beats everything; otherwise matches at
//! word starts (after `_`, `:`, `.`) and runs of consecutive characters score higher, so `sw`
//! ranks `sched_switch` above `osw`.

const AT_WORD_START: i32 = 30;
const INSIDE_WORD: i32 = 10;
const CONSECUTIVE: i32 = 20;

/// The score of `candidate` for `pattern` (higher is better), or `None` when it does not match.
/// An empty pattern matches everything with score 0.
pub fn fuzzy_score(pattern: &str, candidate: &str) -> Option<u32> {
    if pattern.is_empty() {
        return Some(0);
    }
    let cand = candidate.as_bytes();
    let pat = pattern.as_bytes();
    if cand.len() >= pat.len() && cand[..pat.len()].eq_ignore_ascii_case(pat) {
        return Some(10_000 - (cand.len() - pat.len()).min(9_999) as u32);
    }
    if pat.len() > cand.len() || !is_subsequence(pat, cand) {
        return None;
    }
    // best[j]: the best score with the current pattern character matched at cand[j].
    let unmatched = i32::MIN / 2;
    let mut best = vec![unmatched; cand.len()];
    for (i, &p) in pat.iter().enumerate() {
        let mut next = vec![unmatched; cand.len()];
        let mut best_before = if i == 0 { 0 } else { unmatched };
        for j in 0..cand.len() {
            if cand[j].eq_ignore_ascii_case(&p) {
                let word_start = j == 0 || matches!(cand[j - 1], b'_' | b':' | b'.' | b'/');
                let base = if word_start {
                    AT_WORD_START
                } else {
                    INSIDE_WORD
                };
                let run = if i > 0 && j > 0 {
                    best[j - 1] + CONSECUTIVE
                } else {
                    unmatched
                };
                next[j] = base + best_before.max(run);
            }
            if i > 0 && j > 0 {
                // Matches of the previous character strictly before j - 1 stay available.
                best_before = best_before.max(best[j - 1]);
            }
        }
        best = next;
    }
    let top = best.into_iter().max()?;
    (top > 0).then(|| (top - (cand.len() / 8) as i32).max(1) as u32)
}

fn is_subsequence(pat: &[u8], cand: &[u8]) -> bool {
    let mut rest = cand.iter();
    pat.iter().all(|p| rest.any(|c| c.eq_ignore_ascii_case(p)))
}

#[cfg(test)]
mod tests {
    use super::fuzzy_score;

    #[test]
    fn ranking() {
        let s = |c| fuzzy_score("sw", c);
        assert!(s("switch_mm").unwrap() > s("sched_switch").unwrap());
        assert!(s("sched_switch").unwrap() > s("osw").unwrap());
        assert_eq!(fuzzy_score("xyz", "sched_switch"), None);
        assert_eq!(fuzzy_score("ws", "sw"), None);
        assert!(fuzzy_score("SCHED", "sched_switch").is_some());
        assert!(
            fuzzy_score("schsw", "sched_switch").unwrap()
                > fuzzy_score("schsw", "sched_wakeup_switch_x").unwrap_or(0)
        );
        assert_eq!(fuzzy_score("", "x"), Some(0));
    }
}
