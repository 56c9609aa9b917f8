//! `snipcheck update`, end to end through the binary: it rewrites exactly
//! the drifting claims, in their own form, and no other byte.

mod common;
use common::{assert_exit, guide_copy, snipcheck};

#[test]
fn update_on_the_shipped_guide_changes_no_byte() {
    let (_dir, doc) = guide_copy();
    let before = std::fs::read(&doc).unwrap();
    let out = snipcheck(&["update", doc.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert_eq!(std::fs::read(&doc).unwrap(), before);
}

/// Each drift is (what the guide says, what a writer broke it into).
const DRIFTS: &[(&str, &str)] = &[
    (
        "print(temp.celsius)     # 25",
        "print(temp.celsius)     # 26",
    ),
    (
        "print(db1 is db2)  # True - same instance!",
        "print(db1 is db2)  # False - same instance!",
    ),
    (
        "    # Error: username must be at least 3 characters",
        "    # Error: username must be at least 4 characters",
    ),
    (
        "# Output: Connecting to postgresql://localhost/db (only printed once)",
        "# Output: Connecting to mysql://localhost/db (only printed once)",
    ),
    (
        "#  'SMSPlugin': <class '__main__.SMSPlugin'>}",
        "#  'SMSPlugin': <class '__main__.SmsPlugin'>}",
    ),
    (
        "        {'Alice': 5, 'Bob': 3}",
        "        {'Alice': 5, 'Bob': 4}",
    ),
    (
        "render(Circle())  # Drawing circle",
        "render(Circle())  # Drawing square",
    ),
];

#[test]
fn drifts_are_rewritten_back_and_check_passes_again() {
    let (_dir, doc) = guide_copy();
    let original = std::fs::read_to_string(&doc).unwrap();
    let mut broken = original.clone();
    for (good, bad) in DRIFTS {
        assert_eq!(broken.matches(good).count(), 1, "{good}");
        broken = broken.replacen(good, bad, 1);
    }
    std::fs::write(&doc, &broken).unwrap();
    let path = doc.to_str().unwrap();

    let check = snipcheck(&["check", path]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    // Two of the drifts are in one example: one fewer example drifts.
    assert!(
        stdout.contains(&format!(", {} drift,", DRIFTS.len() - 1)),
        "{stdout}"
    );

    let dry = snipcheck(&["update", path, "--dry-run"]);
    let diff = String::from_utf8_lossy(&dry.stdout);
    assert!(
        diff.contains("-print(temp.celsius)     # 26")
            && diff.contains("+print(temp.celsius)     # 25"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&doc).unwrap(),
        broken,
        "--dry-run writes nothing"
    );

    let update = snipcheck(&["update", path]);
    assert_exit(&update, 0);
    let after = std::fs::read_to_string(&doc).unwrap();
    let differing: Vec<_> = original
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert!(
        differing.is_empty() && original.len() == after.len(),
        "not back to the original: {differing:#?}"
    );
    assert_eq!(snipcheck(&["check", path]).status.code(), Some(0));
}

#[test]
fn claims_that_cannot_be_rewritten_safely_are_reported_not_touched() {
    let (_dir, doc) = guide_copy();
    let original = std::fs::read_to_string(&doc).unwrap();
    let broken = original
        .replacen("# [1024, 1156, 1296, ...]", "# [1024, 1157, 1296, ...]", 1)
        .replacen("# ~8MB", "# ~80MB", 1);
    std::fs::write(&doc, &broken).unwrap();
    let out = snipcheck(&["update", doc.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("left as is: the claim uses an ellipsis"),
        "{stderr}"
    );
    assert!(
        stderr.contains("left as is: the claim is approximate"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), broken);
}

/// BOM, CRLF, tabs, trailing spaces, a fence in a list item, a claim on the
/// last line with no newline after it.
const TRICKY: &[u8] = b"\xef\xbb\xbf# Tricky\r\n\r\n- item\r\n\r\n  ```python\r\n  print(1 + 1)  # 3\r\n  ```\r\n\r\n\
```python\r\nfor i in range(2):\r\n\tprint(i)\t# 0, 2   \r\n```\r\n\r\n\
```python\r\nprint(\"a\")\r\n# Output:\r\n# b\r\n```\r\n\r\n```python\r\nprint(\"end\")  # start";

#[test]
fn tricky_files_keep_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("tricky.md");
    std::fs::write(&doc, TRICKY).unwrap();
    let out = snipcheck(&["update", doc.to_str().unwrap()]);
    assert_exit(&out, 0);
    let after = std::fs::read(&doc).unwrap();
    let expected = String::from_utf8_lossy(TRICKY)
        .replace("# 3\r\n", "# 2\r\n")
        .replace("# 0, 2   \r\n", "# 0, 1   \r\n")
        .replace("# b\r\n", "# a\r\n")
        .replace("# start", "# end");
    assert_eq!(String::from_utf8_lossy(&after), expected);
    insta::assert_snapshot!(
        "tricky_after_update",
        String::from_utf8_lossy(&after).replace('\r', "␍")
    );
    // A second update has nothing left to do.
    let again = snipcheck(&["update", doc.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read(&doc).unwrap(), after);
}
