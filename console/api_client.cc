#include "api_client.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "muster/digest.h"
#include "muster/files.h"

namespace muster::console {
namespace {

httplib::Headers RequestHeaders(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

// --pin on one client's SSL_CTX (its ex_data, freed with it): the fingerprint wanted and
// the one the server presented.
struct PinCheck {
  std::string wanted;
  std::string presented;
};

int PinIndex() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* check, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<PinCheck*>(check);
      });
  return index;
}

PinCheck* PinCheckOf(SSL_CTX* ssl) {
  return ssl == nullptr ? nullptr : static_cast<PinCheck*>(SSL_CTX_get_ex_data(ssl, PinIndex()));
}

// OpenSSL's verification callback under --pin, for every step of the chain: the server's
// own certificate must have the pinned fingerprint; its issuer, names and dates do not
// matter. Anything else ends the handshake.
int VerifyPin(int, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  PinCheck* pin = ssl == nullptr ? nullptr : PinCheckOf(SSL_get_SSL_CTX(ssl));
  X509* presented = X509_STORE_CTX_get0_cert(store);
  unsigned char* der = nullptr;
  const int size = presented == nullptr ? 0 : i2d_X509(presented, &der);
  if (pin != nullptr && size > 0) {
    pin->presented = TlsFingerprint(std::string_view(reinterpret_cast<char*>(der), size));
  }
  OPENSSL_free(der);
  const bool pinned = pin != nullptr && size > 0 && pin->presented == pin->wanted;
  X509_STORE_CTX_set_error(store, pinned ? X509_V_OK : X509_V_ERR_CERT_REJECTED);
  return pinned ? 1 : 0;
}

// Where the operator finds the fingerprint to pin.
constexpr const char* kWhereTheFingerprintIs =
    "the coordinator prints it at start (event=api_tls fingerprint=sha256:...) and writes it "
    "to DATA/coordinator.json (tls_fingerprint)";

}  // namespace

ApiClient::ApiClient(std::string base_url, std::string token, TlsTrust trust)
    : base_url_(std::move(base_url)), token_(std::move(token)), trust_(std::move(trust)) {}

Result<ApiClient> ApiClient::FromDataDir(const std::string& data_dir, TlsTrust trust) {
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
  if (trust.empty() && info.contains("tls_fingerprint")) {
    trust.pin = info.value("tls_fingerprint", std::string());
  }
  return ApiClient(info["api_url"].get<std::string>(),
                   token->substr(0, token->find_first_of("\r\n")), std::move(trust));
}

Result<std::unique_ptr<httplib::Client>> ApiClient::Connection(int read_timeout_s) const {
  const bool https = base_url_.rfind("https://", 0) == 0;
  if (!trust_.empty() && !https) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--ca and --pin are for an https:// API, and " + base_url_ +
                             " is plain HTTP");
  }
  if (!trust_.ca_file.empty() && !trust_.pin.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "give --ca or --pin, not both: --pin accepts exactly one certificate, "
                         "--ca those its CA vouches for");
  }
  if (!trust_.pin.empty() && !IsTlsFingerprint(trust_.pin)) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--pin '" + trust_.pin +
                             "' is not a certificate fingerprint: give sha256: and 64 lowercase "
                             "hex digits, as " + kWhereTheFingerprintIs);
  }
  if (!trust_.ca_file.empty()) {
    auto readable = ReadFile(trust_.ca_file, 4 << 20);
    if (!readable.ok()) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "--ca " + trust_.ca_file + ": " + readable.status().message());
    }
  }
  std::unique_ptr<httplib::Client> client;
  try {
    client = std::make_unique<httplib::Client>(base_url_);
  } catch (const std::exception& error) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "the API URL " + base_url_ + " is not one: " + error.what());
  }
  if (!client->is_valid()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "the API URL " + base_url_ +
                             " is not one; give http://HOST:PORT or https://HOST:PORT");
  }
  client->set_connection_timeout(5);
  client->set_read_timeout(read_timeout_s);
  if (https) {
    SSL_CTX* ssl = client->ssl_context();
    SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION);
    if (!trust_.pin.empty()) {
      // httplib's check (a CA and the URL's host) gives way to the pin, which OpenSSL
      // applies during the handshake: a certificate that is not the pinned one ends it.
      client->enable_server_certificate_verification(false);
      SSL_CTX_set_ex_data(ssl, PinIndex(), new PinCheck{trust_.pin, ""});
      SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, VerifyPin);
    } else {
      client->enable_server_certificate_verification(true);
      if (!trust_.ca_file.empty()) client->set_ca_cert_path(trust_.ca_file);
    }
  }
  return client;
}

Status ApiClient::NoAnswer(const httplib::Client& client, int error) const {
  const bool https = base_url_.rfind("https://", 0) == 0;
  switch (static_cast<httplib::Error>(error)) {
    case httplib::Error::SSLServerVerification: {
      const long result = client.get_openssl_verify_result();
      const std::string reason = result != X509_V_OK ? X509_verify_cert_error_string(result)
                                                     : "it does not name the URL's host";
      return Status::Error(
          ErrorCode::kUntrustedCertificate,
          "the coordinator at " + base_url_ + " presented a certificate that cannot be verified (" +
              reason + "); if it is the coordinator's own certificate, pass --pin with its "
              "fingerprint (" + kWhereTheFingerprintIs + "), or --ca with the certificate of "
              "the CA that issued it (for a self-signed one, DATA/api-tls.crt itself)");
    }
    case httplib::Error::SSLConnection: {
      const PinCheck* pin = PinCheckOf(client.ssl_context());
      if (pin != nullptr && !pin->presented.empty() && pin->presented != pin->wanted) {
        return Status::Error(
            ErrorCode::kUntrustedCertificate,
            "the coordinator at " + base_url_ + " presented the certificate " + pin->presented +
                ", not the one --pin names (" + pin->wanted +
                "): the pin is mistyped or outdated, or someone is in between; compare it "
                "with the fingerprint the coordinator shows (" + kWhereTheFingerprintIs +
                ") and pass that as --pin");
      }
      return Status::Error(ErrorCode::kUnreachable,
                           "the TLS handshake with " + base_url_ +
                               " failed; is it the coordinator's API, and does it serve HTTPS? "
                               "(an API on loopback serves http:// unless api.tls is on)");
    }
    case httplib::Error::SSLLoadingCerts:
      return Status::Error(ErrorCode::kInvalidArgument,
                           trust_.ca_file.empty()
                               ? "cannot load the system's CA certificates; pass --ca or --pin"
                               : "--ca " + trust_.ca_file + " holds no PEM certificate");
    case httplib::Error::Read:
      if (!https) {
        return Status::Error(ErrorCode::kUnreachable,
                             "the coordinator at " + base_url_ +
                                 " gave no HTTP answer; if its API serves TLS (api.tls), use "
                                 "https:// (api_url in DATA/coordinator.json says which)");
      }
      break;
    default:
      break;
  }
  return Status::Error(ErrorCode::kUnreachable, "cannot reach the coordinator at " + base_url_ +
                                                    "; is muster-coordinator running?");
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
  auto client = Connection(30);
  if (!client.ok()) return client.status();
  auto response = (*client)->Get(path.c_str(), RequestHeaders(token_));
  if (!response) return NoAnswer(**client, static_cast<int>(response.error()));
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
  auto answer = Exchange(method, path, body);
  if (!answer.ok()) return answer.status();
  return Decode(answer->first, answer->second, method + " " + path);
}

Result<std::string> ApiClient::PostForBytes(const std::string& path, const json& body) {
  auto answer = Exchange("POST", path, body);
  if (!answer.ok()) return answer.status();
  if (answer->first < 200 || answer->first >= 300) {
    return Decode(answer->first, answer->second, "POST " + path).status();
  }
  return std::move(answer->second);
}

Result<std::pair<int, std::string>> ApiClient::Exchange(const std::string& method,
                                                        const std::string& path,
                                                        const json& body) {
  auto connection = Connection(60);
  if (!connection.ok()) return connection.status();
  httplib::Client& client = **connection;
  const httplib::Headers headers = RequestHeaders(token_);
  auto response = method == "PATCH"
                      ? client.Patch(path.c_str(), headers, body.dump(), "application/json")
                      : client.Post(path.c_str(), headers, body.dump(), "application/json");
  if (!response) return NoAnswer(client, static_cast<int>(response.error()));
  return std::make_pair(response->status, std::move(response->body));
}

}  // namespace muster::console
