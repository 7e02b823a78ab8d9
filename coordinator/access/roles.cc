#include "access/roles.h"

#include <array>
#include <utility>

namespace muster::hq {
namespace {

constexpr std::array<std::pair<Role, const char*>, 4> kRoles = {{
    {Role::kViewer, "viewer"},
    {Role::kOfficer, "officer"},
    {Role::kAuthor, "author"},
    {Role::kAdministrator, "administrator"},
}};

// Changes by the path they are under (none is under another); anything else needs
// kAdminister.
struct ChangeRule {
  std::string_view prefix;
  Permission needs;
};
constexpr std::array<ChangeRule, 12> kChangeRules = {{
    {"/v1/watchlist", Permission::kOperate},
    {"/v1/logout", Permission::kRead},
    {"/v1/playbooks", Permission::kPublish},
    {"/v1/playbook-revocations", Permission::kOperate},
    {"/v1/authors", Permission::kAdminister},
    {"/v1/incidents", Permission::kOperate},
    {"/v1/members", Permission::kOperate},
    {"/v1/deployments", Permission::kOperate},
    {"/v1/tasks", Permission::kOperate},
    {"/v1/alerts", Permission::kOperate},
    {"/v1/agents", Permission::kAdminister},
    {"/v1/operators", Permission::kAdminister},
}};

// |path| is |prefix| or below it: "/v1/incidents/INC-1", not "/v1/incidents-old".
bool Under(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

const char* RoleName(Role role) {
  for (const auto& [value, name] : kRoles) {
    if (value == role) return name;
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [value, known] : kRoles) {
    if (name == known) return value;
  }
  return std::nullopt;
}

const char* RoleNames() { return "viewer, officer, author, administrator"; }

const char* PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "read";
    case Permission::kOperate:
      return "operate";
    case Permission::kPublish:
      return "publish";
    case Permission::kAdminister:
      return "administer";
  }
  return "administer";
}

bool Allows(Role role, Permission permission) {
  switch (role) {
    case Role::kAdministrator:
      return true;
    case Role::kOfficer:
      return permission == Permission::kRead || permission == Permission::kOperate;
    case Role::kAuthor:
      return permission == Permission::kRead || permission == Permission::kPublish;
    case Role::kViewer:
      return permission == Permission::kRead;
  }
  return false;
}

Permission NeededFor(std::string_view method, std::string_view path) {
  if (method == "GET" || method == "HEAD") {
    if (Under(path, "/v1/operators")) return Permission::kAdminister;
    // Persons of interest are personal data: not for the wall screen's viewers.
    const bool watchlist = Under(path, "/v1/watchlist") ||
                           (Under(path, "/v1/incidents") &&
                            path.find("/watchlist") != std::string_view::npos);
    return watchlist ? Permission::kOperate : Permission::kRead;
  }
  for (const ChangeRule& rule : kChangeRules) {
    if (Under(path, rule.prefix)) return rule.needs;
  }
  return Permission::kAdminister;
}

}  // namespace muster::hq
