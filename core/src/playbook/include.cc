// Step libraries: `include:` entries, the library files they name, and role mapping.
#include <algorithm>
#include <filesystem>

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

}  // namespace

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
  const std::string dir = options_.library_dir.empty()
                              ? std::filesystem::path(file_).parent_path().string()
                              : options_.library_dir;
  library->file = (std::filesystem::path(dir) / library->path).lexically_normal().string();
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
  const std::string dir = options_.library_dir.empty()
                              ? std::filesystem::path(file_).parent_path().string()
                              : options_.library_dir;
  const std::string full = (std::filesystem::path(dir) / path).lexically_normal().string();
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
  }
  if (e.key == "version") {
    const std::string version = reader.Text(e, what).value_or("");
    if (!IsSemver(version)) {
      reporter_.Error(reader.At(e.value),
                      "version " + Quote(version) + " is not a semantic version",
                      "write MAJOR.MINOR.PATCH in quotes, e.g. \"1.0.0\"");
    }
  }
  if (e.key == "title" || e.key == "description") reader.Text(e, what);  // type check only
  if (e.key == "roles" && reader.IsList(e, what)) {
    for (const YAML::Node& node : e.value) {
      const auto role = reader.Keys(node, "a library role", {"id", "title"}, {"id"});
      if (role && node["id"].IsScalar()) library.placeholders.push_back(node["id"].Scalar());
    }
  }
  if (e.key == "steps" && reader.IsList(e, what)) {
    for (const YAML::Node& node : e.value) {
      if (auto step = ReadStep(node, reader, true)) library.steps.push_back(std::move(*step));
    }
  }
}

// Library steps name only the library's own roles and steps.
void Loader::CheckLibrarySteps(const Library& library) {
  const auto& roles = library.placeholders;
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
  for (const auto& pair : entry.value) {
    const std::string key = pair.first.IsScalar() ? pair.first.Scalar() : "";
    const std::string value = pair.second.IsScalar() ? pair.second.Scalar() : "";
    if (std::find(library.placeholders.begin(), library.placeholders.end(), key) ==
        library.placeholders.end()) {
      reporter_.Error(reader.At(pair.first),
                      "library " + Quote(library.alias) + " declares no role " + Quote(key),
                      SuggestHint(key, library.placeholders, "its roles are"));
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
