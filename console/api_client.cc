#include "api_client.h"

#include <httplib.h>

#include "muster/files.h"

namespace muster::console {
namespace {

httplib::Headers RequestHeaders(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

}  // namespace

ApiClient::ApiClient(std::string base_url, std::string token)
    : base_url_(std::move(base_url)), token_(std::move(token)) {}

Result<ApiClient> ApiClient::FromDataDir(const std::string& data_dir) {
  auto info_text = ReadFile(data_dir + "/coordinator.json", 1 << 16);
  if (!info_text.ok()) {
    return Status::Error(ErrorCode::kNoCoordinator,
                         "no coordinator has started with data directory " + data_dir + " (" +
                             info_text.status().message() +
                             "); start muster-coordinator or pass --data");
  }
  json info = json::parse(*info_text, nullptr, false);
  if (!info.is_object() || !info.contains("api_url")) {
    return Status::Error(ErrorCode::kNoCoordinator, data_dir + "/coordinator.json is damaged");
  }
  const std::string token_path = data_dir + "/api.token";
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(token_path));
  auto token = ReadFile(token_path, 4096);
  if (!token.ok()) return token.status();
  return ApiClient(info["api_url"].get<std::string>(),
                   token->substr(0, token->find_first_of("\r\n")));
}

Result<json> ApiClient::Decode(int status, const std::string& body, const std::string& what) {
  json parsed = json::parse(body, nullptr, false);
  if (status >= 200 && status < 300 && !parsed.is_discarded()) return parsed;
  if (parsed.is_object() && parsed.contains("error")) {
    const json& error = parsed["error"];
    std::string message = error.value("message", "the coordinator refused " + what);
    if (!error.contains("code")) return Status::Error(ErrorCode::kApiError, std::move(message));
    return PeerError(error["code"].get<std::string>(), std::move(message));
  }
  return Status::Error(ErrorCode::kApiError, what + " answered HTTP " + std::to_string(status));
}

Result<json> ApiClient::Get(const std::string& path) {
  auto body = GetBytes(path);
  if (!body.ok()) return body.status();
  return Decode(200, *body, "GET " + path);
}

Result<std::string> ApiClient::GetBytes(const std::string& path) {
  httplib::Client client(base_url_);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  auto response = client.Get(path.c_str(), RequestHeaders(token_));
  if (!response) {
    return Status::Error(ErrorCode::kUnreachable, "cannot reach the coordinator at " + base_url_ +
                                                      "; is muster-coordinator running?");
  }
  if (response->status < 200 || response->status >= 300) {
    return Decode(response->status, response->body, "GET " + path).status();
  }
  return std::move(response->body);
}

Result<json> ApiClient::Post(const std::string& path, const json& body) {
  return Send("POST", path, body);
}

Result<json> ApiClient::Patch(const std::string& path, const json& body) {
  return Send("PATCH", path, body);
}

Result<json> ApiClient::Send(const std::string& method, const std::string& path,
                             const json& body) {
  httplib::Client client(base_url_);
  client.set_connection_timeout(5);
  client.set_read_timeout(60);
  const httplib::Headers headers = RequestHeaders(token_);
  auto response = method == "PATCH"
                      ? client.Patch(path.c_str(), headers, body.dump(), "application/json")
                      : client.Post(path.c_str(), headers, body.dump(), "application/json");
  if (!response) {
    return Status::Error(ErrorCode::kUnreachable, "cannot reach the coordinator at " + base_url_ +
                                                      "; is muster-coordinator running?");
  }
  return Decode(response->status, response->body, method + " " + path);
}

}  // namespace muster::console
