// The console's client for the coordinator's HTTP/JSON API.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "muster/result.h"

namespace httplib {
class Client;
}

namespace muster::console {

using nlohmann::json;

// Which TLS certificate the console accepts from an https:// API. Verification is always
// on: with neither field set, a certificate the system's CA store vouches for, for the
// URL's host. Give one of the two, not both.
struct TlsTrust {
  // PEM CA certificates to verify against instead of the system's store (or the
  // coordinator's self-signed certificate itself); the URL's host must be among its names.
  std::string ca_file;
  // "sha256:" + 64 hex digits (muster/digest.h TlsFingerprint): accept exactly the
  // certificate with this fingerprint, whatever its issuer and names.
  std::string pin;

  bool empty() const { return ca_file.empty() && pin.empty(); }
};

class ApiClient {
 public:
  // |base_url| like "http://127.0.0.1:7471" or "https://hq.example.org:7471"; |token| the
  // bearer token: an operator's session token (muster login), or the break-glass
  // DATA/api.token. Empty: no credentials, for the login itself. |trust| for https://
  // (checked at each request: a malformed pin, an unreadable CA file or trust for a plain
  // http:// URL is invalid_argument).
  ApiClient(std::string base_url, std::string token, TlsTrust trust = {});

  // The break-glass client on HQ's machine: the API of the coordinator whose data
  // directory is |data_dir| (it writes coordinator.json and api.token there). An empty
  // |trust| pins the certificate coordinator.json names (tls_fingerprint).
  static Result<ApiClient> FromDataDir(const std::string& data_dir, TlsTrust trust = {});

  const std::string& base_url() const { return base_url_; }
  const TlsTrust& trust() const { return trust_; }

  Result<json> Get(const std::string& path);
  Result<json> Post(const std::string& path, const json& body);
  // Changes part of a resource: the fields |body| names.
  Result<json> Patch(const std::string& path, const json& body);
  // A route that answers bytes (an attachment's content) rather than JSON.
  Result<std::string> GetBytes(const std::string& path);
  // POSTs |body| as JSON to a route that answers a document (a CAP message) rather than
  // JSON; its errors are JSON as any route's.
  Result<std::string> PostForBytes(const std::string& path, const json& body);

 private:
  Result<json> Decode(int status, const std::string& body, const std::string& what);
  // Sends |body| as JSON with |method| (POST or PATCH) and decodes the answer.
  Result<json> Send(const std::string& method, const std::string& path, const json& body);
  // Sends |body| as JSON with |method|: the answer's status and body.
  Result<std::pair<int, std::string>> Exchange(const std::string& method, const std::string& path,
                                               const json& body);
  // An httplib client for base_url_ with trust_ applied and |read_timeout_s|.
  Result<std::unique_ptr<httplib::Client>> Connection(int read_timeout_s) const;
  // Why a request through |client| got no answer (httplib's |error|), with the fix.
  Status NoAnswer(const httplib::Client& client, int error) const;

  std::string base_url_;
  std::string token_;
  TlsTrust trust_;
};

}  // namespace muster::console
