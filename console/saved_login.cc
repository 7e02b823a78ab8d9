#include "saved_login.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "muster/files.h"

namespace muster::console {

using nlohmann::json;

std::string SavedLoginPath() {
  const std::string dir = UserMusterDir("XDG_CONFIG_HOME", "/.config");
  return dir.empty() ? "" : dir + "/console.json";
}

Result<std::optional<SavedLogin>> LoadLogin() {
  const std::string path = SavedLoginPath();
  if (path.empty() || access(path.c_str(), F_OK) != 0) return std::optional<SavedLogin>();
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(path));
  Result<std::string> text = ReadFile(path, 1 << 16);
  if (!text.ok()) return text.status();
  const json saved = json::parse(*text, nullptr, false);
  if (!saved.is_object() || !saved.value("token", json()).is_string() ||
      !saved.value("api_url", json()).is_string()) {
    return Status::Error(ErrorCode::kDamaged,
                         path + " is damaged; remove it and log in again (muster login)");
  }
  return std::optional<SavedLogin>(
      SavedLogin{saved["api_url"].get<std::string>(), saved.value("operator", ""),
                 saved.value("role", ""), saved["token"].get<std::string>(),
                 saved.value("expires_at", Millis{0}),
                 TlsTrust{saved.value("ca_file", ""), saved.value("pin", "")}});
}

Status SaveLogin(const SavedLogin& login) {
  const std::string path = SavedLoginPath();
  if (path.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep the login");
  }
  MUSTER_RETURN_IF_ERROR(EnsureDirectory(std::filesystem::path(path).parent_path().string(), 0700));
  const json saved = {{"api_url", login.api_url},
                      {"operator", login.operator_name},
                      {"role", login.role},
                      {"token", login.token},
                      {"expires_at", login.expires_at},
                      {"ca_file", login.trust.ca_file.empty()
                                      ? ""
                                      : std::filesystem::absolute(login.trust.ca_file).string()},
                      {"pin", login.trust.pin}};
  return WriteFileAtomic(path, saved.dump(2) + "\n", 0600);
}

Status ForgetLogin() {
  const std::string path = SavedLoginPath();
  if (path.empty() || unlink(path.c_str()) == 0 || errno == ENOENT) return Status::Ok();
  return Status::Error(ErrorCode::kIoError,
                       "cannot remove " + path + ": " + std::strerror(errno) +
                           "; remove it by hand, the token in it is still a credential");
}

}  // namespace muster::console
