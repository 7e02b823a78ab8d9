// What the loader knows about a playbook between reading the YAML and validating it:
// the model plus where every reference was written, so that each diagnostic can point at
// the exact file, line and column. Internal to the loader.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "muster/playbook/load.h"
#include "muster/playbook/model.h"

namespace muster::playbook {

// A place in a file. Library steps live in their library file, so the file varies.
struct Where {
  std::string file;
  SourcePos pos;
};

// Collects diagnostics; never stops at the first.
class Reporter {
 public:
  void Error(const Where& where, std::string message, std::string hint = "") {
    Add(Severity::kError, where, std::move(message), std::move(hint));
  }
  void Warning(const Where& where, std::string message, std::string hint = "") {
    Add(Severity::kWarning, where, std::move(message), std::move(hint));
  }
  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  std::vector<Diagnostic> Take();  // sorted by file, line, column

 private:
  void Add(Severity severity, const Where& where, std::string message, std::string hint) {
    if (severity == Severity::kError) ++errors_;
    diagnostics_.push_back({severity, where.file, where.pos, std::move(message), std::move(hint)});
  }
  std::vector<Diagnostic> diagnostics_;
  int errors_ = 0;
};

struct StepDraft {
  Step step;
  Where at;       // the step (or its `use:` entry)
  Where role_at;  // where the role was named or mapped
  Where phase_at;
  std::vector<Where> depends_at;  // parallel to step.depends_on
  std::vector<std::vector<Where>> escalate_action_at;  // parallel to step.escalate[i].then
  Where marking_at;  // line 0: the step has no marking of its own
};

struct TriggerDraft {
  Trigger trigger;
  Where at;
  Where when_at;                   // first character of the expression; line 0: unread
  bool when_is_plain_line = true;  // expression offsets map to columns on one line
  std::vector<Where> action_at;    // parallel to trigger.then
  std::vector<Where> else_at;      // parallel to trigger.otherwise
};

struct Draft {
  std::string file;
  Playbook playbook;  // steps and triggers are filled from the drafts below
  std::vector<StepDraft> steps;
  std::vector<TriggerDraft> triggers;
  std::vector<Where> hazard_at;
};

}  // namespace muster::playbook
