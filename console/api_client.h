// The console's client for the coordinator's HTTP/JSON API.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "muster/result.h"

namespace muster::console {

using nlohmann::json;

class ApiClient {
 public:
  // |base_url| like "http://127.0.0.1:7471"; |token| the bearer token: an operator's
  // session token (muster login), or the break-glass DATA/api.token. Empty: no
  // credentials, for the login itself.
  ApiClient(std::string base_url, std::string token);

  // The break-glass client on HQ's machine: the API of the coordinator whose data
  // directory is |data_dir| (it writes coordinator.json and api.token there).
  static Result<ApiClient> FromDataDir(const std::string& data_dir);

  const std::string& base_url() const { return base_url_; }

  Result<json> Get(const std::string& path);
  Result<json> Post(const std::string& path, const json& body);
  // Changes part of a resource: the fields |body| names.
  Result<json> Patch(const std::string& path, const json& body);
  // A route that answers bytes (an attachment's content) rather than JSON.
  Result<std::string> GetBytes(const std::string& path);

 private:
  Result<json> Decode(int status, const std::string& body, const std::string& what);
  // Sends |body| as JSON with |method| (POST or PATCH) and decodes the answer.
  Result<json> Send(const std::string& method, const std::string& path, const json& body);

  std::string base_url_;
  std::string token_;
};

}  // namespace muster::console
