//! mktestdocs' `check_md_file(fpath, memory=False, lang="python")`: a fence
//! runs when its opening line, left-stripped, is exactly three backticks
//! and `lang` (```` ```python ````; not ```` ```py ````, not ```` ```python
//! title="a" ````, not a `~~~` fence); `lang=""` runs every fence. Each
//! block runs on its own, in a fresh `__main__`, unless `memory=True`
//! (the blocks are joined and run as one script).

use super::{Dialect, Marks, raw_line};
use crate::markdown::plan::{DEFAULT_GROUP, Decision, Plan, Tool};
use crate::markdown::project::{Conventions, MktestdocsMode};

pub(super) struct Mktestdocs {
    mode: MktestdocsMode,
    source: String,
    /// Blocks run so far: without memory, block `n` runs in namespace `n`.
    blocks: usize,
}

impl Mktestdocs {
    pub(super) fn new(conventions: &Conventions) -> Mktestdocs {
        Mktestdocs {
            mode: conventions.mktestdocs.clone(),
            source: String::new(),
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
        self.source = source.to_string();
        Vec::new()
    }

    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        plan.tool = Tool::Mktestdocs;
        if !self.runs(raw_line(&self.source, marks.fence_line)) {
            let lang = &self.mode.lang;
            plan.decision = Decision::Unrun {
                reason: format!("mktestdocs runs only fences opened by exactly ```{lang}"),
                by: Tool::Mktestdocs,
            };
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
