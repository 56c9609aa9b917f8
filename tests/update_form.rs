//! Issue #11 §5: `update` rewrites only the value part of a drifting claim,
//! in the writer's form, and leaves for the writer what it cannot write
//! safely, saying why.

mod common;
use common::{snipcheck, text};

const FENCE: &str = "```";

fn document() -> String {
    let f = FENCE;
    format!(
        "# Forms\n\n\
{f}python\n\
word = 'mist'\n\
letters = ['a', 'b', 'c']\n\
print(word)  # \"fog\"\n\
print(letters.index('c'))     # 3, its first position\n\
print(len(letters))  # 4 (the length)\n\
print(len(letters) + 2)\n\
#> 6\n\
n = 13\n\
print(f\"Total: {{n}}\")  # 12\n\
print(['a'])  # [\"b\"]\n\
print(sorted(letters, reverse=True))  # sorted backwards, ['c', 'a', 'b']\n\
{f}\n\n\
{f}pycon\n\
>>> word\n\
# 'cat'\n\
>>> word.upper()\n\
# \"DOG\"\n\
{f}\n"
    )
}

fn expected() -> String {
    document()
        .replace("# \"fog\"", "# \"mist\"")
        .replace("# 3, its first position", "# 2, its first position")
        .replace("# 4 (the length)", "# 3 (the length)")
        .replace("#> 6", "#> 5")
        .replace("# 12\n", "# 13\n")
        .replace("# [\"b\"]", "# [\"a\"]")
        .replace("['c', 'a', 'b']", "['c', 'b', 'a']")
        .replace("# 'cat'", "# 'mist'")
        .replace("# \"DOG\"", "# \"MIST\"")
}

#[test]
fn update_keeps_the_writers_form() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("forms.md");
    std::fs::write(&doc, document()).unwrap();
    let out = snipcheck(&["update", doc.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let after = std::fs::read_to_string(&doc).unwrap();
    assert_eq!(after, expected());
    let check = snipcheck(&["check", doc.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
}

#[test]
fn update_leaves_unsafe_text_and_raising_examples_to_the_writer() {
    let f = FENCE;
    let doc_text = format!(
        "# Unsafe\n\n\
{f}python\n\
print('{f}')  # fence\n\
print('a\\rb')  # 'ab'\n\
print(1)  # 2\n\
{f}\n\n\
{f}pycon\n\
>>> print('>>> hi')\n\
hello\n\
{f}\n\n\
{f}python\n\
print(3)  # 4\n\
raise ValueError('boom')\n\
print(5)  # 6\n\
{f}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("unsafe.md");
    std::fs::write(&doc, &doc_text).unwrap();
    let out = snipcheck(&["update", doc.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for why in [
        ":4: left as is: the claim would need a printed fence",
        ":5: left as is: the claim would need a carriage return",
        ":10: left as is: the claim would need a line starting with `>>>`",
        ":17: left as is: the claim was not reached: example",
        "raised ValueError: boom at line 16 before it",
        ":16: example unsafe::",
    ] {
        assert!(stderr.contains(why), "{why} in {stderr}");
    }
    let after = std::fs::read_to_string(&doc).unwrap();
    let expected = doc_text
        .replace("print(1)  # 2", "print(1)  # 1")
        .replace("print(3)  # 4", "print(3)  # 3");
    assert_eq!(after, expected, "only the safe claims change");
}
