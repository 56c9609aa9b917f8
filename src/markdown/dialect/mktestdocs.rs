//! mktestdocs' `check_md_file(fpath, memory=False, lang="python")`: a fence
//! runs when its opening line, left-stripped, is exactly three backticks
//! and `lang` (```` ```python ````; not ```` ```py ````, not ```` ```python
//! title="a" ````, not a `~~~` fence); `lang=""` runs every fence. Each
//! block runs on its own, in a fresh `__main__`, unless `memory=True`
//! (the blocks are joined and run as one script).

use super::{Dialect, Marks, leave_alone};
use crate::markdown::plan::{DEFAULT_GROUP, Plan, Tool};
use crate::markdown::project::{Conventions, MktestdocsMode};

pub(super) struct Mktestdocs {
    mode: MktestdocsMode,
    /// The document's lines: the test reads a fence's opening line as is.
    lines: Vec<String>,
    /// Blocks run so far: without memory, block `n` runs in namespace `n`.
    blocks: usize,
}

impl Mktestdocs {
    pub(super) fn new(conventions: &Conventions) -> Mktestdocs {
        Mktestdocs {
            mode: conventions.mktestdocs.clone(),
            lines: Vec::new(),
            blocks: 0,
        }
    }

    /// `grab_code_blocks`' test on a fence's opening line.
    fn runs(&self, fence: &str) -> bool {
        let line = fence.trim_start();
        line.contains("```")
            && (self.mode.lang.is_empty() || line.get(3..) == Some(&self.mode.lang))
    }
}

impl Dialect for Mktestdocs {
    fn prepare(&mut self, source: &str) -> Vec<super::Hidden> {
        self.lines = source.lines().map(String::from).collect();
        Vec::new()
    }

    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        plan.tool = Tool::Mktestdocs;
        let fence = self.lines.get(marks.fence_line.wrapping_sub(1));
        if !self.runs(fence.map_or("", String::as_str)) {
            let lang = &self.mode.lang;
            leave_alone(
                plan,
                format!("mktestdocs runs only fences opened by exactly ```{lang}"),
                Tool::Mktestdocs,
            );
            return;
        }
        self.blocks += 1;
        plan.groups = vec![if self.mode.memory {
            DEFAULT_GROUP.to_string()
        } else {
            format!("mktestdocs-{}", self.blocks)
        }];
    }
}
