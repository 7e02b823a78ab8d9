// `muster-agent init --bundle FILE`: sets a laptop up from the bundle HQ gave the member.
// The bundle is checked and copied beside the configuration (mode 0600, so the USB stick
// can go), the configuration is written and the data directory made (0700). Nothing is
// replaced unless forced, and nothing is left half done: a failure names the file and the
// fix.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster::agent {

// Where a member's files go by default: $XDG_CONFIG_HOME/muster/agent.yaml (else
// ~/.config/...) and $XDG_DATA_HOME/muster (else ~/.local/share/...). Empty when
// neither the XDG variable nor HOME is set.
std::string DefaultConfigPath();
std::string DefaultDataDir();

struct InitOptions {
  std::string bundle;       // the bundle to install
  std::string config_path;  // the configuration to write
  std::string data_dir;     // the data directory to name in it and create
  bool force = false;       // replace an existing configuration and installed bundle
};

struct Installed {
  std::string config_path;
  std::string bundle_path;  // the installed copy
  std::string data_dir;
  std::string agent_id;
  std::string member;
  std::string endpoint;
};

Result<Installed> InitAgent(const InitOptions& options);

}  // namespace muster::agent
