#include "api/api_http.h"

#include <algorithm>
#include <charconv>

#include "muster/error_code.h"

namespace muster::hq {

using nlohmann::json;

void SendError(httplib::Response& response, const Status& status) {
  response.status = HttpStatus(status.code());
  response.set_content(
      json{{"error", {{"code", status.wire_code()}, {"message", status.message()}}}}.dump(),
      "application/json");
}

void SendJson(httplib::Response& response, const Result<json>& result, int ok_status) {
  if (!result.ok()) return SendError(response, result.status());
  response.status = ok_status;
  response.set_content(result->dump(), "application/json");
}

Result<std::int64_t> IntegerParam(const httplib::Request& request, const char* name,
                                  std::int64_t fallback) {
  if (!request.has_param(name)) return fallback;
  const std::string text = request.get_param_value(name);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc() && end == text.data() + text.size()) return value;
  return Status::Error(ErrorCode::kInvalidArgument, std::string("query parameter '") + name +
                                                        "' must be an integer, not '" + text + "'");
}

namespace {

Result<playbook::Marking> ParseReleasable(const json& given) {
  std::string error = "it must be a marking such as TLP:AMBER";
  std::optional<playbook::Marking> marking;
  if (given.is_string()) marking = playbook::ParseMarking(given.get<std::string>(), &error);
  if (!marking) return Status::Error(ErrorCode::kInvalidArgument, "releasable: " + error);
  return *marking;
}

}  // namespace

Result<std::optional<playbook::Marking>> ReleasableParam(const httplib::Request& request) {
  if (!request.has_param("releasable")) return std::optional<playbook::Marking>();
  Result<playbook::Marking> marking = ParseReleasable(request.get_param_value("releasable"));
  if (!marking.ok()) return marking.status();
  return std::optional<playbook::Marking>(*marking);
}

Result<std::optional<playbook::Marking>> ReleasableBody(const json& body) {
  if (!body.empty()) MUSTER_RETURN_IF_ERROR(OnlyFields(body, {"releasable"}));
  if (!body.contains("releasable")) return std::optional<playbook::Marking>();
  Result<playbook::Marking> marking = ParseReleasable(body["releasable"]);
  if (!marking.ok()) return marking.status();
  return std::optional<playbook::Marking>(*marking);
}

Status OnlyFields(const json& body, std::initializer_list<const char*> fields) {
  std::string known;
  for (const char* field : fields) known += (known.empty() ? "" : ", ") + std::string(field);
  for (const auto& [name, value] : body.items()) {
    if (std::find_if(fields.begin(), fields.end(),
                     [&](const char* field) { return name == field; }) == fields.end()) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "unknown field '" + name + "'; the fields are: " + known);
    }
  }
  if (body.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "nothing to change; the fields are: " + known);
  }
  return Status::Ok();
}

std::optional<json> Body(const httplib::Request& request, httplib::Response& response) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    SendError(response,
              Status::Error(ErrorCode::kMalformed, "the request body must be a JSON object"));
    return std::nullopt;
  }
  return body;
}

std::vector<std::string> Strings(const nlohmann::json& body, const char* name) {
  std::vector<std::string> out;
  auto it = body.find(name);
  if (it == body.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace muster::hq
