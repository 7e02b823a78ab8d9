// Step libraries: `include:` entries, the library files they name, and role mapping.
#include <algorithm>
#include <filesystem>
#include <set>

#include "loader.h"
#include "suggest.h"
#include "yaml_guard.h"

namespace muster::playbook {
namespace {

const std::vector<std::string> kIncludeKeys = {"file", "as", "roles"};
const std::vector<std::string> kLibraryKeys = {"library",     "version", "title",
                                               "description", "roles",   "steps"};

// Include paths stay inside the library folder: relative, without "..".
bool IsSafeLibraryPath(const std::string& path) {
  if (path.empty() || path.size() > 256) return false;
  const std::filesystem::path p(path);
  if (p.is_absolute() || path.find('\\') != std::string::npos) return false;
  return std::none_of(p.begin(), p.end(), [](const auto& part) { return part == ".."; });
}

// Whether |a| and |b| name the same file: the same file on disk, or the same path.
bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::equivalent(a, b, ec)) return true;
  return std::filesystem::absolute(a, ec).lexically_normal() ==
         std::filesystem::absolute(b, ec).lexically_normal();
}

// The `file:` of each include of a playbook's |text|; nothing when it does not parse.
std::vector<std::string> IncludedPaths(const std::string& text, const Limits& limits) {
  std::vector<std::string> paths;
  if (CheckEncoding(text) || CheckDepth(text, limits.max_depth)) return paths;
  try {
    const YAML::Node includes = YAML::Load(text)["include"];
    if (!includes.IsSequence()) return paths;
    for (const YAML::Node& include : includes) {
      if (include.IsMap() && include["file"].IsScalar()) paths.push_back(include["file"].Scalar());
    }
  } catch (const YAML::Exception&) {
    paths.clear();
  }
  return paths;
}

// How many files the search for an include cycle reads at most.
constexpr std::size_t kMaxCycleFiles = 16;

}  // namespace

// Where |path|, named by an include in |including_file|, is on disk.
std::string Loader::LibraryFile(const std::string& including_file, const std::string& path) const {
  const std::string dir = options_.library_dir.empty()
                              ? std::filesystem::path(including_file).parent_path().string()
                              : options_.library_dir;
  return (std::filesystem::path(dir) / path).lexically_normal().string();
}

// The includes that lead from this playbook through |library| back to itself, as their
// `file:` names them after the playbook's own name; empty when there is no such cycle.
// Libraries cannot include, so only files without a `library:` key are followed (a
// playbook named where a library belongs), from disk only when the options allow it.
std::vector<std::string> Loader::IncludeCycle(const Library& library) const {
  struct Hop {
    std::string file;
    std::string text;
    std::vector<std::string> chain;
  };
  const std::string name = std::filesystem::path(file_).filename().string();
  std::vector<Hop> stack{{library.file, library.text, {name, library.path}}};
  std::set<std::string> seen;
  while (!stack.empty() && seen.size() < kMaxCycleFiles) {
    const Hop hop = std::move(stack.back());
    stack.pop_back();
    if (SameFile(hop.file, file_)) return hop.chain;
    if (IsLibraryText(hop.text) || !seen.insert(hop.file).second) continue;
    if (!options_.read_libraries_from_disk) continue;
    for (const std::string& path : IncludedPaths(hop.text, options_.limits)) {
      if (!IsSafeLibraryPath(path)) continue;
      const std::string next = LibraryFile(hop.file, path);
      Result<std::string> text = ReadLimited(next, options_.limits.max_bytes);
      if (!text.ok()) continue;
      std::vector<std::string> chain = hop.chain;
      chain.push_back(path);
      stack.push_back({next, std::move(*text), std::move(chain)});
    }
  }
  return {};
}

// Reports an include that leads back to the including playbook, once, at its `file:`.
bool Loader::ReportIncludeCycle(const Library& library, const Where& at) {
  const std::vector<std::string> chain = IncludeCycle(library);
  if (chain.empty()) return false;
  std::string path;
  for (const std::string& file : chain) path += (path.empty() ? "" : " -> ") + file;
  reporter_.Error(at, Quote(chain.front()) + " includes itself (" + path + ")",
                  "include names step libraries (files with a 'library:' key), never a "
                  "playbook; remove this include");
  return true;
}

void Loader::ReadIncludes(const Entry& entry, NodeReader& reader) {
  if (!reader.IsList(entry, "the playbook")) return;
  for (const YAML::Node& node : entry.value) ReadInclude(node, reader);
}

void Loader::ReadInclude(const YAML::Node& node, NodeReader& reader) {
  const std::string what = "an include";
  const auto entries = reader.Keys(node, what, kIncludeKeys, {"file"});
  if (!entries) return;
  auto library = std::make_unique<Library>();
  library->at = reader.At(node);
  const Entry* roles = nullptr;
  Where path_at = library->at;
  for (const Entry& e : *entries) {
    if (e.key == "file") {
      library->path = reader.Text(e, what).value_or("");
      path_at = reader.At(e.value);
    }
    if (e.key == "as") library->alias = reader.Text(e, what).value_or("");
    if (e.key == "roles") roles = &e;
  }
  if (!IsSafeLibraryPath(library->path)) {
    reporter_.Error(path_at, "library path " + Quote(library->path) + " is not allowed",
                    "name a file relative to the library folder, without '..', e.g. "
                    "lib/common-steps.yaml");
    libraries_.push_back(std::move(library));  // known but broken: its uses stay quiet
    return;
  }
  for (const auto& other : libraries_) {
    if (other->path == library->path) {
      reporter_.Error(path_at, "library " + Quote(library->path) + " is included twice",
                      "include it once; one include maps all the roles it needs");
      return;
    }
  }
  const auto text = LibraryText(library->path, path_at);
  if (!text) {
    libraries_.push_back(std::move(library));  // known but broken: its uses stay quiet
    return;
  }
  library->text = *text;
  library->file = LibraryFile(file_, library->path);
  if (ReportIncludeCycle(*library, path_at)) {
    libraries_.push_back(std::move(library));  // known but broken: its uses stay quiet
    return;
  }
  ReadLibrary(*library);
  for (const auto& other : libraries_) {
    if (library->ok && other->alias == library->alias) {
      reporter_.Error(library->at, "two includes are called " + Quote(library->alias),
                      "give one of them another name with 'as:'");
      library->ok = false;
    }
  }
  if (roles != nullptr && library->ok) ReadRoleMap(*roles, *library, reader);
  libraries_.push_back(std::move(library));
}

// The library's text: carried in the source when it is embedded, else read from disk.
std::optional<std::string> Loader::LibraryText(const std::string& path, const Where& at) {
  for (const EmbeddedLibrary& embedded : split_.libraries) {
    if (embedded.path == path) return std::string(embedded.text);
  }
  if (!options_.read_libraries_from_disk) {
    reporter_.Error(at, "library " + Quote(path) + " is not carried in the playbook's source",
                    "load the playbook from its file, or publish it again so that its source "
                    "embeds the library");
    return std::nullopt;
  }
  const std::string full = LibraryFile(file_, path);
  Result<std::string> text = ReadLimited(full, options_.limits.max_bytes);
  if (!text.ok()) {
    reporter_.Error(at, "library '" + full + "' " + text.status().message(),
                    "library paths are relative to the including file's folder");
    return std::nullopt;
  }
  return std::move(*text);
}

void Loader::ReadLibrary(Library& library) {
  const int errors_before = reporter_.error_count();
  NodeReader reader(library.file, library.text, reporter_);
  if (const auto bad = CheckEncoding(library.text)) {
    reporter_.Error({library.file, bad->pos}, bad->message, bad->hint);
    return;
  }
  const auto root = ParseDocument(library.text, reader);
  if (!root) return;
  const auto entries = reader.Keys(*root, "the library", kLibraryKeys, {"library", "steps"});
  if (!entries) return;
  for (const Entry& e : *entries) ReadLibraryEntry(e, library, reader);
  CheckLibrarySteps(library);
  library.ok = reporter_.error_count() == errors_before;
}

void Loader::ReadLibraryEntry(const Entry& e, Library& library, NodeReader& reader) {
  const std::string what = "the library";
  if (e.key == "library") {
    const std::string id = reader.Text(e, what).value_or("");
    if (!IsPlaybookId(id)) {
      reporter_.Error(reader.At(e.value), "library id " + Quote(id) + " is not valid",
                      "use lowercase letters, digits and hyphens, e.g. common-steps");
    }
    if (library.alias.empty()) library.alias = id;
    library.model.id = id;
  }
  if (e.key == "version") {
    const std::string version = reader.Text(e, what).value_or("");
    if (!IsSemver(version)) {
      reporter_.Error(reader.At(e.value),
                      "version " + Quote(version) + " is not a semantic version",
                      "write MAJOR.MINOR.PATCH in quotes, e.g. \"1.0.0\"");
    }
    library.model.version = version;
  }
  if (e.key == "title") library.model.title = reader.Text(e, what).value_or("");
  if (e.key == "description") library.model.description = reader.Text(e, what).value_or("");
  if (e.key == "roles" && reader.IsList(e, what)) {
    // A placeholder whose id is not valid is reported and left out.
    for (const YAML::Node& node : e.value) {
      auto role = ReadRole(node, "a library role", {"id", "title"}, {"id"}, reader);
      if (role && !role->id.empty()) library.model.roles.push_back(std::move(*role));
    }
  }
  if (e.key == "steps" && reader.IsList(e, what)) {
    for (const YAML::Node& node : e.value) {
      if (auto step = ReadStep(node, reader, true)) library.steps.push_back(std::move(*step));
    }
  }
}

std::vector<std::string> Library::Placeholders() const {
  std::vector<std::string> ids;
  for (const Role& role : model.roles) ids.push_back(role.id);
  return ids;
}

// Library steps name only the library's own roles and steps.
void Loader::CheckLibrarySteps(const Library& library) {
  const std::vector<std::string> roles = library.Placeholders();
  for (const StepDraft& step : library.steps) {
    if (!step.step.role.empty() &&
        std::find(roles.begin(), roles.end(), step.step.role) == roles.end()) {
      reporter_.Error(step.role_at,
                      "role " + Quote(step.step.role) + " is not declared in the library's roles",
                      SuggestHint(step.step.role, roles, "declared roles are"));
    }
    for (std::size_t i = 0; i < step.step.depends_on.size(); ++i) {
      const std::string& dep = step.step.depends_on[i];
      const auto same = [&](const StepDraft& s) { return s.step.id == dep; };
      if (std::none_of(library.steps.begin(), library.steps.end(), same)) {
        reporter_.Error(step.depends_at[i],
                        "library step " + Quote(step.step.id) + " depends on " + Quote(dep) +
                            ", which the library does not define",
                        "a library step may depend only on steps of its own library");
      }
    }
  }
}

void Loader::ReadRoleMap(const Entry& entry, Library& library, NodeReader& reader) {
  if (!entry.value.IsMap()) {
    reporter_.Error(reader.At(entry.value),
                    "'roles' of an include must map library roles to "
                    "playbook roles, not be " +
                        KindOf(entry.value),
                    "write e.g. roles: {lead: team_leader}");
    return;
  }
  std::vector<std::string> role_ids;
  for (const Role& role : draft_.playbook.roles) role_ids.push_back(role.id);
  const std::vector<std::string> placeholders = library.Placeholders();
  for (const auto& pair : entry.value) {
    const std::string key = pair.first.IsScalar() ? pair.first.Scalar() : "";
    const std::string value = pair.second.IsScalar() ? pair.second.Scalar() : "";
    if (std::find(placeholders.begin(), placeholders.end(), key) == placeholders.end()) {
      reporter_.Error(reader.At(pair.first),
                      "library " + Quote(library.alias) + " declares no role " + Quote(key),
                      SuggestHint(key, placeholders, "its roles are"));
      continue;
    }
    if (std::find(role_ids.begin(), role_ids.end(), value) == role_ids.end()) {
      reporter_.Error(reader.At(pair.second),
                      "role " + Quote(value) + " is not a role of this playbook",
                      SuggestHint(value, role_ids, "roles are"));
      continue;
    }
    library.role_map[key] = value;
    library.role_map_at[key] = reader.At(pair.second);
  }
}

void Loader::CheckUnusedEmbedded() {
  for (const EmbeddedLibrary& embedded : split_.libraries) {
    const auto same = [&](const auto& l) { return l->path == embedded.path; };
    if (std::none_of(libraries_.begin(), libraries_.end(), same)) {
      reporter_.Error(
          {file_, {embedded.marker_line, 1}},
          "the source carries library " + Quote(embedded.path) + ", which no include names",
          "remove it from the source, or include it");
    }
  }
}

}  // namespace muster::playbook
