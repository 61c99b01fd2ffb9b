//! Guessing the delimiter of delimited text from its first lines.

/// The delimiters [`sniff_delimiter`] chooses from, in order of preference on a tie.
pub const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];

/// How many lines the sniffer looks at, at most.
const LINES: usize = 50;

/// Guesses the delimiter of `sample` (the first bytes of the input) among `,` tab `;` `|`.
///
/// Counts each candidate outside quotes on every complete line. The winner appears on the
/// first line and keeps that count on the most lines; ties go to the earlier candidate.
/// Returns `,` when no candidate appears.
///
/// ```
/// use iterable_formats::csv::sniff_delimiter;
/// assert_eq!(sniff_delimiter(b"a;b;c\n1;2,5;3\n", b'"'), b';');
/// assert_eq!(sniff_delimiter(b"name\tnote\nx\t\"a, b\"\n", b'"'), b'\t');
/// ```
pub fn sniff_delimiter(sample: &[u8], quote: u8) -> u8 {
    let lines = count_per_line(sample, quote);
    let Some(first) = lines.first() else {
        return b',';
    };
    let mut best = (b',', 0usize, 0usize);
    for (c, &delimiter) in CANDIDATES.iter().enumerate() {
        let in_first = first[c];
        if in_first == 0 {
            continue;
        }
        let consistent = lines.iter().filter(|counts| counts[c] == in_first).count();
        if (consistent, in_first) > (best.1, best.2) {
            best = (delimiter, consistent, in_first);
        }
    }
    best.0
}

/// True when `sample` reads as text in some 8-bit or UTF-8 encoding: no NUL byte, and control
/// characters (other than tab, line feed, carriage return and form feed) are under one in a
/// hundred. Random bytes have about one in eight; binary formats have NULs.
///
/// ```
/// use iterable_formats::csv::looks_like_text;
/// assert!(looks_like_text("name;city\nZoë;Zürich\n".as_bytes()));
/// assert!(!looks_like_text(b"PAR1\x15\x04\x15\x00"));
/// ```
pub fn looks_like_text(sample: &[u8]) -> bool {
    if sample.is_empty() || memchr::memchr(0, sample).is_some() {
        return false;
    }
    let controls = sample
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    controls * 100 < sample.len()
}

/// Candidate counts per line, outside quotes. A last line without its newline counts only
/// when it is the only line.
fn count_per_line(sample: &[u8], quote: u8) -> Vec<[usize; 4]> {
    let mut lines = Vec::new();
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    for &b in sample {
        if b == quote {
            in_quotes = !in_quotes;
        } else if in_quotes {
        } else if b == b'\n' {
            lines.push(counts);
            counts = [0; 4];
            if lines.len() == LINES {
                return lines;
            }
        } else if let Some(c) = CANDIDATES.iter().position(|&d| d == b) {
            counts[c] += 1;
        }
    }
    if lines.is_empty() {
        lines.push(counts);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_consistent_candidate() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n", b'"'), b',');
        assert_eq!(sniff_delimiter(b"a|b\n1|2\n3|4\n", b'"'), b'|');
        // commas inside quoted fields do not count
        assert_eq!(
            sniff_delimiter(b"a;b\n\"1,1\";2\n\"x,y,z\";3\n", b'"'),
            b';'
        );
    }

    #[test]
    fn defaults_to_comma() {
        assert_eq!(sniff_delimiter(b"", b'"'), b',');
        assert_eq!(sniff_delimiter(b"single\nvalues\n", b'"'), b',');
    }

    #[test]
    fn a_line_without_newline_is_used_when_alone() {
        assert_eq!(sniff_delimiter(b"a\tb\tc", b'"'), b'\t');
    }
}
