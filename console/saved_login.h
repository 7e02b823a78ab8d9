// The operator's login, kept between runs of `muster`: the coordinator's URL, who logged
// in, their role and session token, and when it expires. One file per user,
// $XDG_CONFIG_HOME/muster/console.json (~/.config/muster/console.json), mode 0600 in a
// 0700 directory: the token is a credential. `muster login` writes it, `muster logout`
// removes it, every other verb reads it unless --data or --token-file names another way
// in.
#pragma once

#include <optional>
#include <string>

#include "api_client.h"
#include "muster/clock.h"
#include "muster/result.h"

namespace muster::console {

struct SavedLogin {
  std::string api_url;
  std::string operator_name;
  std::string role;
  std::string token;
  Millis expires_at = 0;
  TlsTrust trust;  // the --ca or --pin the login was made with, used again after it
};

// Where the login is kept (a CA file is kept as an absolute path); empty when neither XDG_CONFIG_HOME nor HOME is set.
std::string SavedLoginPath();
// The saved login; nullopt when there is none. A file others may read is refused.
Result<std::optional<SavedLogin>> LoadLogin();
Status SaveLogin(const SavedLogin& login);
// Removes the saved login; Ok when there was none.
Status ForgetLogin();

}  // namespace muster::console
