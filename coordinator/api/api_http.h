// Answering API requests: JSON bodies in, JSON answers and errors out (docs/api.md).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "muster/playbook/marking.h"
#include "muster/result.h"

namespace muster::hq {

// Answers {"error": {"code", "message"}} with the status of the code.
void SendError(httplib::Response& response, const Status& status);
void SendJson(httplib::Response& response, const Result<nlohmann::json>& result,
              int ok_status = 200);
// A query parameter that must be an integer, or |fallback| when absent; invalid_argument
// naming the parameter otherwise.
Result<std::int64_t> IntegerParam(const httplib::Request& request, const char* name,
                                  std::int64_t fallback);
// The query parameter `releasable`, a partner's marking ("TLP:GREEN"): nullopt when
// absent, invalid_argument saying what is wrong when it is no marking.
Result<std::optional<playbook::Marking>> ReleasableParam(const httplib::Request& request);
// A body that may give only `releasable`, a partner's marking: nullopt for {} (everything,
// for HQ's own use); invalid_argument for another field or a marking that does not parse.
Result<std::optional<playbook::Marking>> ReleasableBody(const nlohmann::json& body);
// invalid_argument unless |body| names at least one field and only |fields|: a misspelt
// field is refused, not ignored.
Status OnlyFields(const nlohmann::json& body, std::initializer_list<const char*> fields);
// The strings of the array |name| in |body| (other items skipped; none when absent).
std::vector<std::string> Strings(const nlohmann::json& body, const char* name);
// The field |name| of |body| as a T, or nullopt when absent; a field of the wrong type
// throws, which the server answers 400 malformed.
template <typename T>
std::optional<T> Optional(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return std::nullopt;
  return it->get<T>();
}
// Parses the request body as a JSON object or answers 400 malformed.
std::optional<nlohmann::json> Body(const httplib::Request& request, httplib::Response& response);

}  // namespace muster::hq
