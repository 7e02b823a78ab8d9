#include "cacao_workflow.h"

#include <algorithm>
#include <map>
#include <set>

#include "cacao_common.h"

namespace muster::playbook::cacao {
namespace {

using nlohmann::json;

// A chain of steps starts at a reference and runs along on_completion (or on_success)
// until an end step; branching steps start a chain per branch and continue with their
// own on_completion once every branch is done.
class FlowWalker {
 public:
  FlowWalker(const json& workflow, const ImportLimits& limits)
      : workflow_(workflow), limits_(limits) {}

  FlowResult Run(const json& start, const std::string& start_path) {
    FlowResult result;
    if (!start.is_string()) {
      Fail(start_path, start.is_null() ? "missing; name the workflow's start step"
                                       : "not a step identifier (a string)");
    } else {
      Chain(start.get<std::string>(), start_path, {}, 0);
    }
    result.notes = std::move(notes_);
    if (error_) {
      result.error = std::move(error_);
    } else {
      result.flow = std::move(flow_);
    }
    return result;
  }

 private:
  void Fail(const std::string& path, const std::string& message) {
    if (!error_) error_ = Note{path, message};
  }
  void Tell(const std::string& path, const std::string& message) {
    if (noted_.insert(path).second) notes_.push_back({path, message});
  }

  // The next step after |step| completes, or "" for none; |*ref_path| is where it is named.
  std::string Next(const json& step, const std::string& path, std::string* ref_path) {
    if (step.contains("on_failure")) {
      Tell(PathKey(path, "on_failure"),
           "Muster steps do not fail, they are completed or stood down: this failure path is "
           "not followed");
    }
    for (const char* key : {"on_completion", "on_success"}) {
      if (!step.contains(key)) continue;
      *ref_path = PathKey(path, key);
      if (!step[key].is_string()) {
        Fail(*ref_path, "not a step identifier (a string)");
        return "";
      }
      return step[key].get<std::string>();
    }
    return "";
  }

  void Record(const std::string& key, const std::vector<std::string>& before) {
    auto [it, inserted] = index_.try_emplace(key, flow_.actions.size());
    if (inserted) flow_.actions.push_back({key, {}});
    std::vector<std::string>& after = flow_.actions[it->second].after;
    for (const std::string& k : before) {
      if (std::find(after.begin(), after.end(), k) == after.end()) after.push_back(k);
    }
  }

  // Follows every branch from |branches| (references found at |paths|) with |before| done,
  // and returns the actions complete when all of them are.
  std::vector<std::string> Branches(const std::vector<std::string>& branches,
                                    const std::vector<std::string>& paths,
                                    const std::vector<std::string>& before, int depth) {
    std::vector<std::string> done;
    for (std::size_t i = 0; i < branches.size() && !error_; ++i) {
      for (const std::string& k : Chain(branches[i], paths[i], before, depth + 1)) {
        if (std::find(done.begin(), done.end(), k) == done.end()) done.push_back(k);
      }
    }
    return done.empty() ? before : done;
  }

  // Collects a step's branch references: |key| a string, or a list of strings, or the
  // values of an object (switch cases).
  void BranchRefs(const json& step, const std::string& path, const char* key,
                  std::vector<std::string>* refs, std::vector<std::string>* paths) {
    if (!step.contains(key)) return;
    const json& value = step[key];
    const std::string at = PathKey(path, key);
    if (value.is_string()) {
      refs->push_back(value.get<std::string>());
      paths->push_back(at);
      return;
    }
    if (!value.is_array() && !value.is_object()) {
      Fail(at, "not a step identifier or a list of them");
      return;
    }
    std::size_t i = 0;
    for (const auto& [name, item] : value.items()) {
      const std::string item_path = value.is_array() ? PathIndex(at, i++) : PathKey(at, name);
      if (!item.is_string()) {
        Fail(item_path, "not a step identifier (a string)");
        return;
      }
      refs->push_back(item.get<std::string>());
      paths->push_back(item_path);
    }
  }

  std::vector<std::string> Chain(std::string key, std::string ref_path,
                                 std::vector<std::string> before, int depth) {
    if (depth > limits_.max_depth) {
      Fail(ref_path, "branches nest more than " + std::to_string(limits_.max_depth) +
                         " deep; flatten the workflow");
      return before;
    }
    std::vector<std::string> on_this_chain;
    while (!key.empty() && !error_) {
      if (++visits_ > limits_.max_visits) {
        Fail(ref_path, "the flow reaches more than " + std::to_string(limits_.max_visits) +
                           " steps; simplify the workflow");
        break;
      }
      if (!workflow_.contains(key)) {
        Fail(ref_path, "names '" + key + "', which is not a step in $.workflow");
        break;
      }
      if (on_path_.count(key) != 0) {
        Fail(ref_path, "leads back to '" + key +
                           "', which is already on this path: a cycle; Muster steps run once, "
                           "so remove this reference or model the repetition as separate steps");
        break;
      }
      on_path_.insert(key);
      on_this_chain.push_back(key);
      if (std::find(flow_.reached.begin(), flow_.reached.end(), key) == flow_.reached.end()) {
        flow_.reached.push_back(key);
      }
      const std::string path = PathKey("$.workflow", key);
      const json& step = workflow_[key];
      const std::string type = step.is_object() && step.contains("type") && step["type"].is_string()
                                   ? step["type"].get<std::string>()
                                   : "";
      std::vector<std::string> refs, ref_paths;
      if (!step.is_object()) {
        Fail(path, "not a workflow step (a JSON object)");
      } else if (type == "action") {
        Record(key, before);
        before = {key};
      } else if (type == "start" || type == "end") {
        // nothing to record
      } else if (type == "parallel") {
        BranchRefs(step, path, "next_steps", &refs, &ref_paths);
      } else if (type == "if-condition") {
        Tell(PathKey(path, "condition"),
             "an if-condition is not evaluated by Muster: the steps of both branches are "
             "imported as ordinary steps; write a trigger to make some of them conditional");
        BranchRefs(step, path, "on_true", &refs, &ref_paths);
        BranchRefs(step, path, "on_false", &refs, &ref_paths);
      } else if (type == "switch-condition") {
        Tell(PathKey(path, "cases"),
             "a switch-condition is not evaluated by Muster: the steps of every case are "
             "imported as ordinary steps");
        BranchRefs(step, path, "cases", &refs, &ref_paths);
      } else if (type == "while-condition") {
        Tell(PathKey(path, "condition"),
             "Muster has no loops: the steps of this while-condition's body are imported once");
        BranchRefs(step, path, "on_true", &refs, &ref_paths);
      } else if (type == "playbook-action") {
        Tell(path,
             "a playbook-action runs another playbook, which a Muster step cannot: left out, "
             "the flow continues after it");
      } else {
        Fail(PathKey(path, "type"),
             type.empty() ? "missing or not text; a step's type is start, end, action, "
                            "playbook-action, parallel, if-condition, while-condition or "
                            "switch-condition"
                          : "unknown step type '" + type +
                                "'; CACAO 2.0 has start, end, action, playbook-action, "
                                "parallel, if-condition, while-condition and switch-condition");
      }
      if (!refs.empty() && !error_) before = Branches(refs, ref_paths, before, depth);
      key = type == "end" || error_ ? "" : Next(step, path, &ref_path);
    }
    for (const std::string& k : on_this_chain) on_path_.erase(k);
    return before;
  }

  const json& workflow_;
  const ImportLimits& limits_;
  Flow flow_;
  std::map<std::string, std::size_t> index_;  // action key -> place in flow_.actions
  std::set<std::string> on_path_;
  std::set<std::string> noted_;
  std::vector<Note> notes_;
  std::optional<Note> error_;
  std::size_t visits_ = 0;
};

}  // namespace

FlowResult FollowWorkflow(const json& document, const ImportLimits& limits) {
  static const json kMissing;
  if (!document.contains("workflow") || !document["workflow"].is_object()) {
    FlowResult result;
    result.error = Note{"$.workflow", document.contains("workflow")
                                          ? "not an object of workflow steps"
                                          : "missing; a CACAO playbook holds its steps there"};
    return result;
  }
  const json& start = document.contains("workflow_start") ? document["workflow_start"] : kMissing;
  return FlowWalker(document["workflow"], limits).Run(start, "$.workflow_start");
}

}  // namespace muster::playbook::cacao
