//! `snipcheck update`: rewrite drifting claims to what CPython printed.
//!
//! The guide is the writer's file, so an update touches only the text of the
//! claims that drift, in the form they were written: a trailing comment stays
//! trailing, `# Output:` stays `# Output:`, commentary after ` - ` or in
//! parentheses is kept, a wrapped claim is re-wrapped one comment line per
//! printed line. Every other byte (line endings, BOM, tabs, trailing spaces)
//! is left alone, and the file is replaced atomically. Claims whose form
//! cannot be kept (an ellipsis, an approximation) are reported, not touched.

use std::path::{Path, PathBuf};

use crate::claim::ClaimKind;
use crate::expect;
use crate::pysource::{self, Literal};
use crate::report::DocumentReport;
use crate::verdict::{ClaimVerdict, Status, Verdict};

/// Replace guide lines `first..=last` (1-based) with `lines` (no endings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub first: usize,
    pub last: usize,
    pub lines: Vec<String>,
}

/// What an update would do to one document.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub path: PathBuf,
    pub edits: Vec<Edit>,
    /// Drifting or unchecked claims left as they are: (guide line, why).
    pub left: Vec<(usize, String)>,
    /// Examples that raised (or timed out, or crashed): (guide line, why).
    /// Their claims before that line were checked like any other; those
    /// after it were not reached and are in `left`.
    pub broken: Vec<(usize, String)>,
}

/// Plans the edits for every drifting claim of a checked document.
pub fn plan(doc: &DocumentReport) -> Plan {
    let lines: Vec<&str> = doc.source.lines().collect();
    let mut plan = Plan {
        path: doc.path.clone(),
        ..Plan::default()
    };
    let drifting = doc
        .examples
        .iter()
        .flat_map(|e| e.claims.iter())
        .filter(|c| c.verdict == Verdict::Drifts);
    for claim in drifting {
        match safe(claim).and_then(|()| edit_for(claim, &lines)) {
            Ok(edit) => plan.edits.push(edit),
            Err(why) => plan.left.push((claim.claim.line, why)),
        }
    }
    // An example that raised: the claims before the error were checked (and
    // may have been planned above); those after it were never reached.
    for example in &doc.examples {
        if matches!(
            example.status,
            Status::Error | Status::Timeout | Status::Crash
        ) {
            let why = match (&example.error, &example.interrupted) {
                (Some(e), _) => format!("{}: {}", e.type_name, e.message),
                (None, Some(stop)) => stop.message.clone(),
                (None, None) => "an error".to_string(),
            };
            let line = example.error.as_ref().and_then(|e| e.line);
            let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
            for claim in example
                .claims
                .iter()
                .filter(|c| c.verdict == Verdict::NotReached)
            {
                plan.left.push((
                    claim.claim.line,
                    format!(
                        "was not reached: example {} raised {why}{at} before it; fix the example, then update again",
                        example.example.id
                    ),
                ));
            }
            plan.broken.push((
                line.unwrap_or_else(|| example.example.first_line()),
                format!(
                    "example {} raised {why}: fix it, then update again (the claims before it were checked)",
                    example.example.id
                ),
            ));
        }
    }
    plan.edits.sort_by_key(|e| e.first);
    plan
}

/// Output that would change the Markdown (a fence would close the code
/// block), the line structure (`\r`) or become code (`>>>` under a session)
/// is left for the writer.
fn safe(claim: &ClaimVerdict) -> Result<(), String> {
    let actual = &claim.actual;
    if actual.contains("```") || actual.contains("~~~") {
        return Err(
            "would need a printed fence (```), which would end the code block: update it by hand"
                .into(),
        );
    }
    if actual.contains('\r') {
        return Err(
            "would need a carriage return (\\r), which would split the line: update it by hand"
                .into(),
        );
    }
    let session = matches!(claim.claim.kind, ClaimKind::Doctest | ClaimKind::Docstring);
    if session
        && actual
            .lines()
            .any(|l| l.trim_start().starts_with(">>>") || l.trim_start().starts_with("..."))
    {
        return Err("would need a line starting with `>>>` or `...`, which would become code: update it by hand".into());
    }
    Ok(())
}

fn edit_for(claim: &ClaimVerdict, lines: &[&str]) -> Result<Edit, String> {
    let expected = claim.claim.expected.as_str();
    if expected.contains("...") || expected.contains('…') {
        return Err("uses an ellipsis: rewrite it by hand".into());
    }
    if ["~", "≈", "about "]
        .iter()
        .any(|p| expected.trim_start().starts_with(p))
    {
        return Err("is approximate: rewrite it by hand".into());
    }
    let actual = claim.actual.trim_end_matches('\n');
    let line_at = |n: usize| {
        lines
            .get(n - 1)
            .copied()
            .ok_or_else(|| format!("line {n} is past the end"))
    };
    match claim.claim.kind {
        ClaimKind::Doctest | ClaimKind::Docstring => doctest_edit(claim, lines),
        ClaimKind::OutputBlock => block_edit(claim, lines, actual),
        _ if claim.claim.lines.len() == 1
            && (!actual.contains('\n') || claim.claim.kind != ClaimKind::Output) =>
        {
            let line = claim.claim.line;
            let text = line_at(line)?;
            let new = replace_suffix(text, expected, &rewrite_value(expected, actual))?;
            Ok(Edit {
                first: line,
                last: line,
                lines: vec![new],
            })
        }
        _ => comment_block_edit(claim, lines, actual),
    }
}

/// The claim with only its value part rewritten to `actual`, in the
/// writer's form: the commentary kept (`# 2, its first position`), a bare
/// value for a labelled line kept bare (`# 12` for `Total: 12`), the quote
/// style kept (`# "fog"` stays double-quoted), surrounding spaces kept.
fn rewrite_value(expected: &str, actual: &str) -> String {
    let lead = &expected[..expected.len() - expected.trim_start().len()];
    let trimmed = expected.trim();
    let old = expect::split_value(trimmed).map_or(trimmed, |(value, _)| value);
    let mut new = one_line(actual);
    // `# 12` on `print(f"Total: {n}")`: the writer wrote the bare value.
    if let Some(value) =
        expect::labelled_value(&new).filter(|_| !old.contains(':') && !old.contains('='))
    {
        new = value.to_string();
    }
    let new = in_quote_style(old, &new);
    match trimmed.find(old) {
        Some(at) if !old.is_empty() => {
            format!(
                "{lead}{}{new}{}",
                &trimmed[..at],
                &trimmed[at + old.len()..]
            )
        }
        _ => format!("{lead}{}", with_commentary(trimmed, &new)),
    }
}

/// `new` written with the quotes of `old`: a printed string gets the quotes
/// the writer put around the old one, and a repr in single quotes becomes
/// double-quoted where the writer used double quotes (and it stays the same
/// value).
fn in_quote_style(old: &str, new: &str) -> String {
    let double = old.contains('"') && !old.contains('\'');
    let old_is_str = matches!(pysource::literal(old), Some(Literal::Str(_)));
    let new_value = pysource::literal(new);
    if old_is_str && !matches!(new_value, Some(Literal::Str(_))) && !new.contains('\n') {
        let quote = if double { '"' } else { '\'' };
        if !new.contains(quote) && !new.contains('\\') {
            return format!("{quote}{new}{quote}");
        }
    }
    if double && !new.contains('"') {
        let swapped = new.replace('\'', "\"");
        if new_value.is_some() && pysource::literal(&swapped) == new_value {
            return swapped;
        }
    }
    new.to_string()
}

/// Several printed lines written on one line, as the `iterations` rule reads them.
fn one_line(actual: &str) -> String {
    actual.lines().collect::<Vec<_>>().join(", ")
}

/// `True - same instance!` drifting to `False` becomes `False - same instance!`.
fn with_commentary(expected: &str, actual: &str) -> String {
    let cut = expected.find(" - ").or_else(|| {
        expected
            .ends_with(')')
            .then(|| expected.rfind(" ("))
            .flatten()
    });
    match cut {
        Some(i) if i > 0 => format!("{actual}{}", &expected[i..]),
        _ => actual.to_string(),
    }
}

/// The claim's text ends the line (but for trailing spaces): swap it.
fn replace_suffix(line: &str, old: &str, new: &str) -> Result<String, String> {
    let body = line.trim_end();
    let tail = &line[body.len()..];
    let head = body
        .strip_suffix(old)
        .ok_or_else(|| "its text is not where the comment ends: rewrite it by hand".to_string())?;
    Ok(format!("{head}{new}{tail}"))
}

/// A claim over comment lines (`# Output:` + lines, lines under a print,
/// `#>` lines): one comment line per printed line, in the same style.
fn comment_block_edit(claim: &ClaimVerdict, lines: &[&str], actual: &str) -> Result<Edit, String> {
    let span = &claim.claim.lines;
    let (first, last) = (span[0], span[span.len() - 1]);
    let is_output = claim.claim.kind == ClaimKind::Output;
    // `# Output:` alone on its line, then the lines: the header stays.
    let header = is_output && span.len() > 1;
    let body_first = if header { first + 1 } else { first };
    let sample = lines
        .get(body_first - 1)
        .ok_or("past the end of the file")?;
    let text = claim.claim.expected.lines().next().unwrap_or("");
    let mut prefix = sample
        .trim_end()
        .strip_suffix(text)
        .ok_or("its text is not where the comment ends: rewrite it by hand")?
        .to_string();
    let mut new = Vec::new();
    if header {
        new.push(lines[first - 1].to_string());
    } else if is_output {
        // `# Output: x` that now needs several lines: `# Output:`, then a line each.
        new.push(prefix.trim_end().to_string());
        let hash = prefix.find('#').unwrap_or(0);
        prefix = format!("{}# ", &prefix[..hash]);
    }
    let body = rewrap(&claim.claim.expected, actual);
    new.extend(
        body.iter()
            .map(|l| format!("{prefix}{l}").trim_end().to_string()),
    );
    Ok(Edit {
        first,
        last,
        lines: new,
    })
}

/// The printed lines, or, for a claim that wrapped one printed line over
/// several comment lines, the new text wrapped at the same places (as many
/// words on each line as before, each line's own indentation kept).
fn rewrap(expected: &str, actual: &str) -> Vec<String> {
    let old: Vec<&str> = expected.lines().collect();
    let words: Vec<&str> = actual.split_whitespace().collect();
    let counts: Vec<usize> = old.iter().map(|l| l.split_whitespace().count()).collect();
    let wrapped = old.len() > actual.lines().count() && counts.iter().sum::<usize>() == words.len();
    if !wrapped {
        return actual.lines().map(str::to_string).collect();
    }
    let mut rest = words.as_slice();
    old.iter()
        .zip(counts)
        .map(|(line, n)| {
            let (now, later) = rest.split_at(n);
            rest = later;
            let indent = &line[..line.len() - line.trim_start().len()];
            format!("{indent}{}", now.join(" "))
        })
        .collect()
}

/// An output fence's content lines, replaced by the stdout.
fn block_edit(claim: &ClaimVerdict, lines: &[&str], actual: &str) -> Result<Edit, String> {
    let first = claim.claim.line;
    let count = claim.claim.expected.lines().count();
    let last = first + count.max(1) - 1;
    let sample = lines.get(first - 1).ok_or("past the end of the file")?;
    let content = claim.claim.expected.lines().next().unwrap_or("");
    let prefix = sample.strip_suffix(content).unwrap_or("");
    let new = actual.lines().map(|l| format!("{prefix}{l}")).collect();
    if count == 0 {
        // An empty block: insert before the closing fence.
        return Err("the output block is empty: fill it by hand".into());
    }
    Ok(Edit {
        first,
        last,
        lines: new,
    })
}

/// The expected output under a `>>>` example, re-indented from what ran.
fn doctest_edit(claim: &ClaimVerdict, lines: &[&str]) -> Result<Edit, String> {
    let start = claim.claim.line;
    let prompt = lines.get(start - 1).ok_or("past the end of the file")?;
    let indent = &prompt[..prompt.len() - prompt.trim_start().len()];
    let continuation = lines[start..]
        .iter()
        .take_while(|l| l.trim_start().starts_with("..."))
        .count();
    let want_first = start + 1 + continuation;
    let want_count = claim.claim.expected.lines().count();
    if claim.actual.starts_with("Traceback") {
        return Err("a traceback: rewrite it by hand".into());
    }
    // The hybrid form, `>>> x` then `# 'cat'`: it stays a comment line.
    let hybrid = lines
        .get(want_first - 1)
        .is_some_and(|l| l.trim_start().starts_with('#'));
    if hybrid {
        let old: Vec<&str> = claim.claim.expected.lines().collect();
        let sample = lines[want_first - 1];
        let hash = sample.find('#').unwrap_or(0);
        let after_hash = &sample[hash + 1..];
        let gap = &after_hash[..after_hash.len() - after_hash.trim_start().len()];
        let prefix = format!("{}#{gap}", &sample[..hash]);
        let new = claim
            .actual
            .trim_end_matches('\n')
            .lines()
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "{prefix}{}",
                    in_quote_style(old.get(i).or(old.last()).unwrap_or(&""), l)
                )
            })
            .collect();
        return Ok(Edit {
            first: want_first,
            last: want_first + want_count.max(1) - 1,
            lines: new,
        });
    }
    let new: Vec<String> = claim
        .actual
        .trim_end_matches('\n')
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                format!("{indent}<BLANKLINE>")
            } else {
                format!("{indent}{l}")
            }
        })
        .collect();
    if want_count == 0 {
        // Nothing was expected: insert the output after the source lines.
        return Ok(Edit {
            first: want_first,
            last: want_first - 1,
            lines: new,
        });
    }
    Ok(Edit {
        first: want_first,
        last: want_first + want_count - 1,
        lines: new,
    })
}

/// Applies edits to the file's bytes, keeping every other byte: each new
/// line ends as the line it replaces did (`\r\n` stays `\r\n`), a BOM stays.
pub fn apply(original: &[u8], edits: &[Edit]) -> Vec<u8> {
    let lines = split_lines(original);
    let mut out = Vec::with_capacity(original.len());
    let mut next = 1;
    for edit in edits {
        if edit.first < next {
            continue; // overlapping edits: the first wins
        }
        for line in &lines[next - 1..(edit.first - 1).min(lines.len())] {
            out.extend_from_slice(line);
        }
        let replaced = &lines[(edit.first - 1).min(lines.len())..edit.last.min(lines.len())];
        let ending = replaced
            .first()
            .or(lines.get(edit.first.saturating_sub(2)))
            .map(|l| line_ending(l))
            .unwrap_or(b"\n");
        let bom = if edit.first == 1 && original.starts_with(b"\xef\xbb\xbf") {
            &b"\xef\xbb\xbf"[..]
        } else {
            b""
        };
        out.extend_from_slice(bom);
        for (i, new) in edit.lines.iter().enumerate() {
            out.extend_from_slice(new.as_bytes());
            let is_last = i + 1 == edit.lines.len();
            let last_had_none = replaced.last().is_some_and(|l| line_ending(l).is_empty());
            if !(is_last && last_had_none) {
                out.extend_from_slice(ending);
            }
        }
        next = edit.last + 1;
    }
    for line in lines.iter().skip(next - 1) {
        out.extend_from_slice(line);
    }
    out
}

/// Lines with their endings: `\n`, `\r\n`, or a lone `\r` (as the guide's
/// line numbers count them).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let lone_cr = *b == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        if *b == b'\n' || lone_cr {
            lines.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

fn line_ending(line: &[u8]) -> &'static [u8] {
    if line.ends_with(b"\r\n") {
        b"\r\n"
    } else if line.ends_with(b"\n") {
        b"\n"
    } else if line.ends_with(b"\r") {
        b"\r"
    } else {
        b""
    }
}

/// A unified diff of what an update would change, for `--dry-run`.
pub fn diff(path: &Path, before: &[u8], after: &[u8]) -> String {
    let (before, after) = (
        String::from_utf8_lossy(before),
        String::from_utf8_lossy(after),
    );
    similar::TextDiff::from_lines(before.as_ref(), after.as_ref())
        .unified_diff()
        .context_radius(2)
        .header(&path.display().to_string(), &path.display().to_string())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(first: usize, last: usize, lines: &[&str]) -> Edit {
        Edit {
            first,
            last,
            lines: lines.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn apply_keeps_endings_bom_and_other_bytes() {
        let src = b"\xef\xbb\xbfa\r\nb  \r\n\tc\r\nd";
        let out = apply(src, &[edit(2, 2, &["B  "])]);
        assert_eq!(out, b"\xef\xbb\xbfa\r\nB  \r\n\tc\r\nd");
        let out = apply(src, &[edit(4, 4, &["D"])]);
        assert_eq!(
            out, b"\xef\xbb\xbfa\r\nb  \r\n\tc\r\nD",
            "no newline added at EOF"
        );
        let out = apply(b"x\n# a\ny\n", &[edit(2, 2, &["# 1", "# 2"])]);
        assert_eq!(out, b"x\n# 1\n# 2\ny\n");
        assert_eq!(apply(b"a\nb\n", &[]), b"a\nb\n");
    }

    #[test]
    fn wrapped_claims_are_rewrapped_where_they_were() {
        let old = "{'A': <class 'A'>,\n 'B': <class 'B'>}";
        assert_eq!(
            rewrap(old, "{'A': <class 'A'>, 'B': <class 'C'>}"),
            ["{'A': <class 'A'>,", " 'B': <class 'C'>}"]
        );
        assert_eq!(
            rewrap("1\n2", "1\n3\n"),
            ["1", "3"],
            "line per printed line otherwise"
        );
    }

    #[test]
    fn suffix_and_commentary() {
        assert_eq!(
            replace_suffix("print(x)  # 42  ", "42", "43").unwrap(),
            "print(x)  # 43  "
        );
        assert_eq!(
            with_commentary("True - same instance!", "False"),
            "False - same instance!"
        );
        assert_eq!(
            with_commentary("db (printed once)", "other"),
            "other (printed once)"
        );
        assert_eq!(with_commentary("Point(x=1)", "Point(x=2)"), "Point(x=2)");
        assert!(replace_suffix("print(x)  # 42", "41", "43").is_err());
    }
}
