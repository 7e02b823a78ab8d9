// muster-coordinator: headquarters' service. Wires the real parts together; all logic
// lives in the library the tests link. Without a verb it runs the coordinator; `backup`
// and `restore` copy its store (docs/operations.md#backups); `operator add|reset` makes
// the first administrator, or lets one back in, on HQ's machine (docs/operations.md#operators).
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "muster/cli.h"
#include "muster/daemon.h"
#include "muster/files.h"
#include "muster/log.h"
#include "muster/password_prompt.h"
#include "service/headquarters.h"
#include "service/config.h"
#include "service/coordinator.h"
#include "store/store_backup.h"

namespace {

int Fail(const muster::Status& status) {
  std::cerr << "muster-coordinator: " << status.message() << "\n";
  return 1;
}

struct Arguments {
  std::string config_path;
  std::string data_dir;
  std::string log_level;
  std::string backup_to;
  std::string restore_from;
  bool force = false;
  std::string operator_name;
  std::string operator_role = "administrator";
  std::string display_name;
  bool password_stdin = false;
};

// The configuration the command line names, with --data and --log-level applied. The
// verbs need only the data directory, which --data gives without a file.
muster::Result<muster::hq::Config> ChosenConfig(const Arguments& args, bool need_file) {
  if (args.config_path.empty() && (need_file || args.data_dir.empty())) {
    return muster::Status::Error(
        muster::ErrorCode::kInvalidArgument,
        need_file ? "give --config FILE (see config/coordinator.yaml)"
                  : "give --data DIR or --config FILE to name the data directory");
  }
  muster::hq::Config config;
  if (!args.config_path.empty()) {
    auto loaded = muster::hq::LoadConfig(args.config_path);
    if (!loaded.ok()) return loaded.status();
    config = *loaded;
  }
  if (!args.data_dir.empty()) config.data_dir = args.data_dir;
  if (!args.log_level.empty()) config.log_level = args.log_level;
  return config;
}

int Backup(const muster::hq::Config& config, const Arguments& args) {
  auto copy = muster::hq::BackupStore(config.data_dir, args.backup_to, args.force);
  if (!copy.ok()) return Fail(copy.status());
  std::cout << "backed up HQ " << copy->hq_id << " (schema " << copy->schema_version << ", "
            << copy->bytes << " bytes) to " << copy->path
            << "\nkeep coordinator.secret and api.token of " << config.data_dir
            << " as well: the backup holds the store only\n";
  return 0;
}

int Restore(const muster::hq::Config& config, const Arguments& args) {
  muster::SystemClock clock;
  auto restored =
      muster::hq::RestoreStore(config.data_dir, args.restore_from, args.force, clock.Now());
  if (!restored.ok()) return Fail(restored.status());
  std::cout << "restored HQ " << restored->store.hq_id << " (schema "
            << restored->store.schema_version << ") into " << restored->store.path << "\n";
  if (!restored->replaced.empty()) {
    std::cout << "the store it replaced is kept as " << restored->replaced << "\n";
  }
  std::cout << "start the coordinator: agents send again what the backup lacks "
               "(docs/operations.md#backups)\n";
  return 0;
}

// `operator add` and `operator reset`, straight on the store (the coordinator may be
// running: SQLite serialises the writes). Audited as done on the server.
int ManageOperator(const muster::hq::Config& config, const Arguments& args, bool add) {
  muster::SystemClock clock;
  if (auto made = muster::EnsureDirectory(config.data_dir, 0700); !made.ok()) return Fail(made);
  auto hq = muster::hq::Headquarters::Open(config.data_dir + "/muster.db", clock);
  if (!hq.ok()) return Fail(hq.status());
  auto password = muster::ReadPassword(
      {"password for " + args.operator_name + ": ", args.password_stdin, true});
  if (!password.ok()) return Fail(password.status());
  const muster::hq::Actor actor("server", "muster-coordinator operator on HQ's machine");
  auto done =
      add ? (*hq)->operators().Add(
                {args.operator_name, args.display_name, args.operator_role, *password}, actor)
          : (*hq)->operators().ResetPassword(args.operator_name, *password, actor);
  if (!done.ok()) return Fail(done.status());
  std::cout << (add ? "added operator " : "reset the password of ") << args.operator_name << " ("
            << (*done)["role"].get<std::string>() << "); log in with: muster login --api URL "
            << "--operator " << args.operator_name << "\n";
  return 0;
}

int Run(const muster::hq::Config& config) {
  muster::InitLogging(config.log_level);
  // Signals are taken synchronously by this thread only; every thread started below
  // inherits the blocked mask.
  const sigset_t signals = muster::BlockStopSignals();

  muster::SystemClock clock;
  muster::hq::Coordinator coordinator(config, clock);
  muster::Status started = coordinator.Start();
  if (!started.ok()) {
    muster::Logger("coordinator")
        ->critical("event=start_failed code={} error=\"{}\"", started.wire_code(),
                   started.message());
    return Fail(started);
  }
  if (!coordinator.tls_fingerprint().empty()) {
    // Where operators look when they start it by hand (and in the journal under systemd):
    // what a console away from the data directory needs to trust this API.
    std::cout << "muster-coordinator: API at " << coordinator.api_url()
              << ", TLS certificate " << coordinator.tls_fingerprint()
              << "; consoles elsewhere: muster login --api https://HOST:PORT --pin "
              << coordinator.tls_fingerprint() << std::endl;
  }
  const int signal = muster::WaitForStop(signals, "coordinator");
  muster::Logger("coordinator")->info("event=shutdown signal={}", signal);
  coordinator.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "muster-coordinator: keeps incidents, roster, playbooks, deployments, tasks and "
      "findings, and syncs them with field agents over ZeroMQ (CURVE). Without a verb it "
      "runs the coordinator in the foreground."};
  Arguments args;
  app.add_option("--config", args.config_path, "configuration file (see config/coordinator.yaml)")
      ->check(CLI::ExistingFile);
  app.add_option("--data", args.data_dir,
                 "data directory; overrides data_dir in the configuration");
  app.add_option("--log-level", args.log_level, muster::kLogLevels)
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  muster::AddVersionFlag(app, "muster-coordinator");
  app.fallthrough();

  CLI::App* backup = app.add_subcommand(
      "backup", "copy the store (DATA/muster.db) to a file while the coordinator runs");
  backup->add_option("--to", args.backup_to, "the backup file to write (mode 0600)")->required();
  backup->add_flag("--force", args.force, "replace an existing file at --to");
  CLI::App* restore = app.add_subcommand(
      "restore", "put a backup in place of the store; the coordinator must be stopped");
  restore->add_option("--from", args.restore_from, "a file made by muster-coordinator backup")
      ->required()
      ->check(CLI::ExistingFile);
  restore->add_flag("--force", args.force, "restore a backup of another HQ (hq_id) as well");
  CLI::App* operators = app.add_subcommand(
      "operator", "make the first administrator, or reset a password, on HQ's machine");
  operators->require_subcommand(1);
  CLI::App* add_operator = operators->add_subcommand("add", "add an operator account");
  CLI::App* reset_operator =
      operators->add_subcommand("reset", "give an operator a new password (ends their sessions)");
  for (CLI::App* verb : {add_operator, reset_operator}) {
    verb->add_option("name", args.operator_name, "the operator's login name")->required();
    verb->add_flag("--password-stdin", args.password_stdin,
                   "read the password from the first line of standard input");
  }
  add_operator->add_option("--role", args.operator_role, "viewer, officer, author, administrator")
      ->check(CLI::IsMember({"viewer", "officer", "author", "administrator"}))
      ->capture_default_str();
  add_operator->add_option("--display-name", args.display_name, "the name shown to others");
  if (auto done = muster::ParseCommandLine(app, argc, argv)) return *done;

  const bool verb = backup->parsed() || restore->parsed() || operators->parsed();
  auto config = ChosenConfig(args, !verb);
  if (!config.ok()) {
    std::cerr << "muster-coordinator: " << config.status().message() << "\n";
    return 2;
  }
  if (backup->parsed()) return Backup(*config, args);
  if (restore->parsed()) return Restore(*config, args);
  if (operators->parsed()) return ManageOperator(*config, args, add_operator->parsed());
  return Run(*config);
}
