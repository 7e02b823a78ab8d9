// Operator roles and what each may do at the API (docs/security.md#operators-and-roles).
//
//   viewer         reads everything an officer sees; changes nothing
//   officer        runs incidents: incidents, roster members, deployments and their
//                  tasks, alerts, tactical reports; revokes a published playbook version
//   author         publishes playbooks to the library (and reads)
//   administrator  everything, including operators, agents (enrolment, revocation) and
//                  the playbook authors HQ trusts
//
// Which permission a request needs is decided from its method and path alone, here, in
// one table: a route this table does not know needs kAdminister when it changes
// something, so a new route is closed until someone opens it on purpose.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace muster::hq {

enum class Role { kViewer, kOfficer, kAuthor, kAdministrator };
enum class Permission { kRead, kOperate, kPublish, kAdminister };

// "viewer", "officer", "author", "administrator".
const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
// "viewer, officer, author, administrator": for error messages.
const char* RoleNames();
// "read", "operate", "publish", "administer".
const char* PermissionName(Permission permission);

bool Allows(Role role, Permission permission);
// The permission a request with |method| (GET, POST, …) on |path| needs.
Permission NeededFor(std::string_view method, std::string_view path);

}  // namespace muster::hq
