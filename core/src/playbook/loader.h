// The loader behind LoadText: reads the YAML into a Draft, expands library steps,
// validates the result and builds the Playbook. Internal; its parts are spread over
// load.cc (documents, metadata, roles, parameters, phases, triggers), steps.cc (steps and
// findings), include.cc (step libraries) and validate.cc (cross-references, cycles).
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "draft.h"
#include "muster/result.h"
#include "reader.h"
#include "source.h"

namespace muster::playbook {

class StepGraph;  // validate.cc

// A step library named by `include:`, once read.
struct Library {
  std::string path;                             // as `file:` names it
  std::string alias;                            // the prefix `use:` entries name it by
  std::string file;                             // its name in diagnostics
  std::string text;                             // the library file's text
  Where at;                                     // the include entry
  StepLibrary model;                            // what it declares; its steps are below
  std::map<std::string, std::string> role_map;  // placeholder -> playbook role id
  std::map<std::string, Where> role_map_at;
  std::vector<StepDraft> steps;  // roles are placeholders; no phase
  bool ok = false;

  // The ids of the roles the library declares, for lookups and hints.
  std::vector<std::string> Placeholders() const;
};

// A step taken from a library; its library dependencies are resolved once every `use:`
// entry is known.
struct UseDraft {
  std::size_t step_index = 0;  // into Draft::steps
  const Library* library = nullptr;
  std::string library_step;  // the step's id in the library
  std::vector<std::string> library_depends;
  std::vector<Where> library_depends_at;
};

class Loader {
 public:
  Loader(std::string file, const LoadOptions& options);
  LoadResult Run(std::string_view text);
  LoadResult RunLibrary(std::string_view text);

 private:
  // load.cc
  bool CheckText(std::string_view text);
  std::optional<YAML::Node> ParseDocument(std::string_view text, NodeReader& reader);
  bool CheckSingleDocument(const std::string& text, NodeReader& reader);
  void ReadPlaybook(const YAML::Node& root, NodeReader& reader);
  void ReadMetadata(const std::vector<Entry>& entries, NodeReader& reader);
  // A `marking:` (marking.h); empty, with an error reported, when it does not parse.
  Marking ReadMarking(const Entry& entry, const std::string& what, NodeReader& reader);
  void ReadHazards(const Entry& entry, NodeReader& reader);
  void ReadRoles(const Entry& entry, NodeReader& reader);
  // A role of the playbook, or a placeholder role of a library (fewer |keys|).
  std::optional<Role> ReadRole(const YAML::Node& node, const std::string& what,
                               const std::vector<std::string>& keys,
                               const std::vector<std::string>& required, NodeReader& reader);
  void ReadParameters(const Entry& entry, NodeReader& reader);
  void ReadParameterUnit(const Entry& entry, Parameter& param, NodeReader& reader);
  void ReadPhases(const Entry& entry, NodeReader& reader);
  void ReadTriggers(const Entry& entry, NodeReader& reader);
  // The actions of `then:` (a trigger's or an escalation's), each with where it was
  // written; stand_down only where |stand_down_allowed|.
  void ReadActions(const Entry& entry, const std::string& what, bool stand_down_allowed,
                   std::vector<TriggerAction>& actions, std::vector<Where>& at,
                   NodeReader& reader);
  void CheckStandDown(const std::vector<Entry>& entries, const TriggerAction& action,
                      const std::string& what, NodeReader& reader);
  std::string BuildSource(std::string_view playbook_text) const;
  bool CheckId(const Entry& entry, const std::string& what, NodeReader& reader);
  // Warns when |entry|'s unit is not one units.h knows, with a did-you-mean.
  void CheckUnit(const Entry& entry, const std::string& unit, const std::string& what,
                 NodeReader& reader);

  // steps.cc
  void ReadSteps(const Entry& entry, NodeReader& reader);
  std::optional<StepDraft> ReadStep(const YAML::Node& node, NodeReader& reader, bool in_library);
  void ReadStepKey(const Entry& entry, StepDraft& draft, NodeReader& reader);
  void ReadFindings(const Entry& entry, StepDraft& draft, NodeReader& reader);
  void ReadEscalations(const Entry& entry, StepDraft& draft, NodeReader& reader);
  void ReadRecurrence(const Entry& entry, StepDraft& draft, NodeReader& reader);
  void CheckScheduling(const std::vector<Entry>& entries, const StepDraft& draft,
                       NodeReader& reader);
  std::optional<FieldSpec> ReadField(const YAML::Node& node, const std::string& step_what,
                                     NodeReader& reader);
  void CheckFieldKinds(const FieldSpec& field, const std::vector<Entry>& entries,
                       const std::string& what, NodeReader& reader);
  // A report role at most once per step, a quantity on a number beside a material.
  void CheckReportRoles(const StepDraft& draft, const std::string& what);
  void ReadUse(const YAML::Node& node, NodeReader& reader);
  const StepDraft* FindLibraryStep(const std::string& alias, const std::string& step_id,
                                   const Entry& use, NodeReader& reader, const Library** library);
  void ResolveLibraryDepends();

  // include.cc
  void ReadIncludes(const Entry& entry, NodeReader& reader);
  void ReadInclude(const YAML::Node& node, NodeReader& reader);
  std::optional<std::string> LibraryText(const std::string& path, const Where& at);
  std::string LibraryFile(const std::string& including_file, const std::string& path) const;
  std::vector<std::string> IncludeCycle(const Library& library) const;
  bool ReportIncludeCycle(const Library& library, const Where& at);
  void ReadLibrary(Library& library);
  void ReadLibraryEntry(const Entry& entry, Library& library, NodeReader& reader);
  void CheckLibrarySteps(const Library& library);
  void ReadRoleMap(const Entry& entry, Library& library, NodeReader& reader);
  void CheckUnusedEmbedded();

  // validate.cc
  void Validate();
  void ValidateUniqueIds();
  void ValidateStepReferences();
  void ValidateCycles();
  std::set<std::size_t> ReportCycles(const StepGraph& graph);
  std::set<std::size_t> ReportDormantSteps();
  void ValidateTriggers();
  void ValidateTriggerExpression(const TriggerDraft& trigger);
  // An action that activates a step or notifies a role names one that exists and fits.
  void ValidateActionTargets(const std::string& who, const TriggerAction& action,
                             const Where& at);
  void ValidateActivations();
  void ValidateUsage();
  void ValidateMarkings();
  void ValidateConditionalWaits();

  std::string file_;
  LoadOptions options_;
  Reporter reporter_;
  Draft draft_;
  SplitSource split_;
  std::vector<std::unique_ptr<Library>> libraries_;
  std::vector<UseDraft> uses_;
  std::set<std::string> failed_uses_;  // ids of `use:` steps whose library step is missing
  std::size_t nodes_used_ = 0;
};

// Reads |path| unless it is larger than |max_bytes| or not a regular file.
Result<std::string> ReadLimited(const std::string& path, std::size_t max_bytes);

// Playbook and library ids: lowercase letters, digits and inner hyphens, at most 64.
bool IsPlaybookId(std::string_view id);

// The id a `use:` entry gives its step: its own `id:`, else the library step's id.
std::string LocalStepId(const std::vector<Entry>& entries, const std::string& library_step);

// ParseDuration for text from a playbook: at most 16 bytes, so that no sum of its parts
// can overflow. -1 when it is not a duration.
std::int64_t ParseShortDuration(const std::string& text);

// Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH, optional -prerelease and +build.
bool IsSemver(const std::string& version);

// Ids of steps, roles, phases, parameters, fields and triggers: a lowercase letter, then
// lowercase letters, digits and underscores, at most 64 bytes.
bool IsIdentifier(std::string_view id);

}  // namespace muster::playbook
