#include "cli_support.h"

#include <iostream>

#include "muster/clock.h"
#include "muster/display.h"
#include "muster/files.h"
#include "muster/playbook/fields.h"

namespace muster::console {

namespace {

Result<ApiClient> ConnectAs(Result<ApiClient> api, const std::string& operator_name) {
  if (api.ok() && !operator_name.empty()) api->set_operator(operator_name);
  return api;
}

}  // namespace

Result<ApiClient> Connect(const Context& context) {
  if (!context.api_url.empty()) {
    if (context.token_file.empty()) {
      return Status::Error(ErrorCode::kInvalidArgument, "--api needs --token-file");
    }
    MUSTER_RETURN_IF_ERROR(CheckPrivateFile(context.token_file));
    auto token = ReadFile(context.token_file, 4096);
    if (!token.ok()) return token.status();
    return ConnectAs(ApiClient(context.api_url, token->substr(0, token->find_first_of("\r\n")),
                               context.trust),
                     context.operator_name);
  }
  if (context.data_dir.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "say which coordinator: --data DIR (or MUSTER_DATA), or --api URL "
                         "--token-file FILE");
  }
  return ConnectAs(ApiClient::FromDataDir(context.data_dir, context.trust), context.operator_name);
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

std::string Text(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return ForTerminal(value.get<std::string>());
  if (auto typed = playbook::ValueFromJson(value)) {
    return playbook::FormatValue(*typed);  // 2400, not 2400.0
  }
  return value.dump();
}

std::string Join(const json& list) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ",") + Text(item);
  return out.empty() ? "-" : out;
}

std::string When(const json& at) {
  return at.is_number() ? FormatTimestamp(at.get<Millis>()) : "never";
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
