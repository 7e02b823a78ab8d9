#include "cli_support.h"

#include <cctype>
#include <cstdio>
#include <iostream>

#include "muster/clock.h"
#include "muster/display.h"
#include "muster/exercise/script.h"
#include "muster/files.h"
#include "muster/playbook/fields.h"
#include "saved_login.h"

namespace muster::console {

Result<ApiClient> Connect(const Context& context) {
  if (!context.token_file.empty()) {
    if (context.api_url.empty()) {
      return Status::Error(ErrorCode::kInvalidArgument, "--token-file needs --api URL");
    }
    MUSTER_RETURN_IF_ERROR(CheckPrivateFile(context.token_file));
    auto token = ReadFile(context.token_file, 4096);
    if (!token.ok()) return token.status();
    return ApiClient(context.api_url, token->substr(0, token->find_first_of("\r\n")),
                     context.trust);
  }
  if (!context.data_dir.empty() && !context.data_from_env) {
    return ApiClient::FromDataDir(context.data_dir, context.trust);
  }
  Result<std::optional<SavedLogin>> saved = LoadLogin();
  if (!saved.ok()) return saved.status();
  if (*saved) {
    const SavedLogin& login = **saved;
    if (!context.api_url.empty() && context.api_url != login.api_url) {
      return Status::Error(ErrorCode::kUnauthorized,
                           "you are logged in to " + login.api_url + ", not " + context.api_url +
                               "; log in there with: muster login --api " + context.api_url);
    }
    if (login.expires_at <= SystemClock().Now()) {
      return Status::Error(ErrorCode::kUnauthorized,
                           "your login to " + login.api_url + " as " + login.operator_name +
                               " expired at " + FormatTimestamp(login.expires_at) +
                               "; log in again: muster login");
    }
    return ApiClient(login.api_url, login.token,
                     context.trust.empty() ? login.trust : context.trust);
  }
  if (!context.data_dir.empty()) return ApiClient::FromDataDir(context.data_dir, context.trust);
  return Status::Error(ErrorCode::kInvalidArgument,
                       "log in first: muster login --api URL (on HQ's machine, --data DIR uses "
                       "the break-glass token)");
}

void Fail(bool json_output, const Status& status) {
  if (json_output) {
    std::cout << json{{"error", {{"code", status.wire_code()}, {"message", status.message()}}}}
                     .dump(2)
              << "\n";
  } else {
    std::cerr << "muster: " << status.message() << "\n";
  }
  throw CLI::RuntimeError(status.code() == ErrorCode::kInvalidArgument ? 2 : 1);
}

void Fail(const Context& context, const Status& status) { Fail(context.json, status); }

void Answer(const Context& context, const Result<json>& result,
            const std::function<void(const json&)>& human) {
  if (!result.ok()) Fail(context, result.status());
  if (context.json) {
    std::cout << result->dump(2) << "\n";
  } else {
    human(*result);
  }
}

int Refuse(const Status& status, bool json_output, std::ostream& out, std::ostream& err,
           int code) {
  if (json_output) {
    out << json{{"error",
                 {{"code", std::string(WireName(status.code()))}, {"message", status.message()}}}}
               .dump(2)
        << "\n";
  } else {
    err << "muster: " << ForTerminal(status.message()) << "\n";
  }
  return code;
}

std::string Text(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return ForTerminal(value.get<std::string>());
  if (auto typed = playbook::ValueFromJson(value)) {
    return playbook::FormatValue(*typed);  // 2400, not 2400.0
  }
  return value.dump();
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

std::string Join(const json& list) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ",") + Text(item);
  return out.empty() ? "-" : out;
}

std::string When(const json& at) {
  return at.is_number() ? FormatTimestamp(at.get<Millis>()) : "never";
}

std::string ExerciseBanner(const json& view) {
  const bool marked = view.is_object() && view.value("exercise", false);
  return marked ? std::string(exercise::kExerciseMark) + "\n" : std::string();
}

std::string ClockSkew(const json& clock) {
  return clock.is_object() ? Text(clock.value("skew", json())) : "unknown";
}

Result<json> ApiGet(const Context& context, const std::string& path) {
  auto api = Connect(context);
  return api.ok() ? api->Get(path) : Result<json>(api.status());
}

Result<json> ApiPost(const Context& context, const std::string& path, const json& body) {
  auto api = Connect(context);
  return api.ok() ? api->Post(path, body) : Result<json>(api.status());
}

}  // namespace muster::console
