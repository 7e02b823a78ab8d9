// `muster audit verify|show`: the administrator's view of HQ's audit log, through the
// API or, with --db FILE, straight from a copy of the coordinator's store (offline).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <string>

#include "api_client.h"
#include "store/audit_chain.h"

namespace muster::console {

using Connector = std::function<Result<ApiClient>()>;

// Adds the `audit` subcommand to |app|. |connect| reaches the API; |json| is the
// console's --json flag, read when a verb runs. Exit status: 0 done (verify: intact),
// 1 the chain is broken or the verb failed, 2 a usage error.
void RegisterAuditCommands(CLI::App& app, Connector connect, const bool& json);

// The verdict on the chain in the store file |db_path| (opened read-only), as JSON.
Result<json> VerifyAuditFile(const std::string& db_path);
// The entries of the store file |db_path| that match |filter|.
Result<json> ShowAuditFile(const std::string& db_path, const hq::AuditFilter& filter);

// Prints a verdict (AuditVerdictJson) and returns the exit status: 0 intact, 1 broken.
int PrintAuditVerdict(const json& verdict, bool json_output, std::ostream& out);

}  // namespace muster::console
