#include "agent_init.h"

#include <cstdlib>
#include <filesystem>

#include "muster/bundle.h"
#include "muster/files.h"
#include "muster/private_file.h"

namespace muster::agent {
namespace {

std::string ConfigText(const std::string& bundle, const std::string& data_dir) {
  return "# Written by muster-agent init; the keys are explained in docs/agent.md.\n"
         "bundle: \"" +
         bundle +
         "\"\n"
         "data_dir: \"" +
         data_dir +
         "\"\n"
         "log_level: warn\n"
         "keepalive: auto\n";
}

}  // namespace

std::string DefaultConfigPath() {
  const std::string dir = UserMusterDir("XDG_CONFIG_HOME", "/.config");
  return dir.empty() ? "" : dir + "/agent.yaml";
}

std::string DefaultDataDir() { return UserMusterDir("XDG_DATA_HOME", "/.local/share"); }

Result<Installed> InitAgent(const InitOptions& options) {
  Result<Bundle> bundle = ReadBundleFile(options.bundle);
  if (!bundle.ok()) return bundle.status();
  for (const std::string& path : {options.config_path, options.data_dir}) {
    if (path.empty() || path.find_first_of("\"\\\n") != std::string::npos) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "'" + path +
                               "' cannot be used: give --config and --data as paths "
                               "without quotes, backslashes or newlines");
    }
  }
  const std::filesystem::path config(options.config_path);
  const std::filesystem::path config_dir =
      config.has_parent_path() ? config.parent_path() : std::filesystem::path(".");
  const std::string installed_bundle = (config_dir / (bundle->agent_id + ".bundle")).string();
  // Both files are reserved before anything is written, so that an existing one or a
  // full disk stops init with nothing changed but the directories.
  MUSTER_RETURN_IF_ERROR(EnsureDirectory(config_dir.string(), 0700));
  Result<PrivateFile> config_file =
      PrivateFile::Reserve(options.config_path, options.force, "--config", 4096);
  if (!config_file.ok()) return config_file.status();
  Result<PrivateFile> bundle_file =
      PrivateFile::Reserve(installed_bundle, options.force, "--config", 4096);
  if (!bundle_file.ok()) return bundle_file.status();
  MUSTER_RETURN_IF_ERROR(EnsureDirectory(options.data_dir, 0700));
  MUSTER_RETURN_IF_ERROR(bundle_file->Commit(BundleToJson(*bundle)));
  MUSTER_RETURN_IF_ERROR(config_file->Commit(ConfigText(installed_bundle, options.data_dir)));
  return Installed{options.config_path, installed_bundle,  options.data_dir,
                   bundle->agent_id,    bundle->member_id, bundle->endpoint};
}

}  // namespace muster::agent
