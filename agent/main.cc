// muster-agent: the field member's tool. The verbs work on the local store at once, with
// or without the daemon and the network; `run` is the daemon that syncs with HQ.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include "agent_init.h"
#include "agent_store.h"
#include "link.h"
#include "vault/wipe.h"
#include "pruner.h"
#include "relay/relay_link.h"
#include "relay/relay_server.h"
#include "muster/bundle.h"
#include "muster/cli.h"
#include "muster/completion.h"
#include "muster/daemon.h"
#include "muster/files.h"
#include "muster/log.h"
#include "muster/password_prompt.h"
#include "schedule.h"
#include "team.h"
#include "vault/key_service.h"
#include "vault/seal_store.h"
#include "vault/secret_key.h"
#include "vault/vault.h"
#include "verbs.h"

namespace {

struct AgentConfig {
  std::string bundle;
  std::string data_dir;
  std::string log_level = "warn";
  // Idle keep-alive: how long the daemon stays silent before a PING. 0 ("auto"): 30 s on
  // a fast link, 2 minutes on a thin one (docs/agent.md, what idling costs).
  muster::Millis keepalive_ms = 0;
  // How long the daemon keeps what HQ acknowledged (pruner.h).
  muster::Millis retention_ms = muster::agent::kDefaultRetention;
  // The team's field relay (docs/agent.md, "The field relay"): where a member's daemon
  // finds it and which agent it is (its key comes from HQ's team view), and where a
  // relay's daemon (`run --relay`) listens.
  std::string relay_endpoint;
  std::string relay_agent;
  std::string relay_listen = "tcp://0.0.0.0:7480";
};

muster::Result<AgentConfig> LoadConfig(const std::string& path) {
  auto text = muster::ReadFile(path, 1 << 20);
  if (!text.ok()) return text.status();
  AgentConfig config;
  try {
    YAML::Node root = YAML::Load(*text);
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (key == "bundle") config.bundle = entry.second.as<std::string>();
      else if (key == "data_dir") config.data_dir = entry.second.as<std::string>();
      else if (key == "log_level") {
        config.log_level = entry.second.as<std::string>();
        if (!muster::IsLogLevel(config.log_level)) {
          return muster::Status::Error(
              muster::ErrorCode::kInvalidConfig,
              path + ":" + std::to_string(entry.second.Mark().line + 1) + ": log_level '" +
                  config.log_level + "' is not one of " + muster::kLogLevels);
        }
      }
      else if (key == "keepalive") {
        const std::string text = entry.second.as<std::string>();
        config.keepalive_ms = text == "auto" ? 0 : muster::ParseDuration(text);
        if (text != "auto" && config.keepalive_ms < 5'000) {
          return muster::Status::Error(
              muster::ErrorCode::kInvalidConfig,
              path + ":" + std::to_string(entry.second.Mark().line + 1) + ": keepalive '" + text +
                  "' is not 'auto' or a duration of at least 5s (e.g. 10m)");
        }
      } else if (key == "retention") {
        const std::string text = entry.second.as<std::string>();
        config.retention_ms = muster::ParseDuration(text);
        if (config.retention_ms < 3'600'000) {
          return muster::Status::Error(
              muster::ErrorCode::kInvalidConfig,
              path + ":" + std::to_string(entry.second.Mark().line + 1) + ": retention '" + text +
                  "' is not a duration of at least 1h (e.g. 7d)");
        }
      } else if (key == "relay") {
        const std::string where = path + ":" + std::to_string(entry.second.Mark().line + 1);
        if (!entry.second.IsMap()) {
          return muster::Status::Error(muster::ErrorCode::kInvalidConfig,
                                       where + ": relay must be a map of endpoint, agent, listen");
        }
        for (const auto& field : entry.second) {
          const std::string name = field.first.as<std::string>();
          if (name == "endpoint") config.relay_endpoint = field.second.as<std::string>();
          else if (name == "agent") config.relay_agent = field.second.as<std::string>();
          else if (name == "listen") config.relay_listen = field.second.as<std::string>();
          else {
            return muster::Status::Error(muster::ErrorCode::kInvalidConfig,
                                         where + ": unknown relay key '" + name +
                                             "'; known: endpoint, agent, listen");
          }
        }
        if (config.relay_endpoint.empty() != config.relay_agent.empty()) {
          return muster::Status::Error(
              muster::ErrorCode::kInvalidConfig,
              where + ": relay needs both 'endpoint' (e.g. tcp://192.168.1.20:7480) and "
                      "'agent' (the relay's agent id, as `muster-agent team` lists it)");
        }
      } else {
        return muster::Status::Error(muster::ErrorCode::kInvalidConfig,
                                     path + ":" + std::to_string(entry.first.Mark().line + 1) +
                                         ": unknown key '" + key +
                                         "'; known keys: bundle, data_dir, log_level, keepalive, "
                                         "retention, relay");
      }
    }
  } catch (const YAML::Exception& error) {
    return muster::Status::Error(
        muster::ErrorCode::kInvalidConfig,
        path + ":" + std::to_string(error.mark.line + 1) + ": " + error.msg);
  }
  if (config.bundle.empty() || config.data_dir.empty()) {
    return muster::Status::Error(muster::ErrorCode::kInvalidConfig,
                                 path + ": needs both 'bundle' and 'data_dir'");
  }
  return config;
}

std::atomic<bool> g_stop{false};

int Fail(const muster::Status& status) {
  std::cerr << "muster-agent: " << status.message() << "\n";
  return status.code() == muster::ErrorCode::kInvalidArgument ? 2 : 1;
}

// The command line's options and arguments, shared by the verbs that take them.
struct Args {
  std::string config_path;
  bool json = false;
  std::string task, reason, text, severity = "critical";
  std::vector<std::string> fields, attach;
  std::string marking;
  std::string bundle, data_dir;  // init
  std::string item;              // tick
  bool undo = false;
  bool set_passphrase = false;  // unlock
  bool relay = false;           // run
  std::string relay_bind;       // run
  bool confirm = false, force = false;
  int timeout_s = 60;
};

struct Verbs {
  CLI::App *init, *unlock, *tick, *complete, *run, *tasks, *show, *ack, *start, *done, *block, *finding, *note, *checkin, *alert, *team, *sync,
      *status, *log;
};

Verbs AddVerbs(CLI::App& app, Args& args) {
  Verbs v;
  v.init = app.add_subcommand(
      "init", "set this laptop up from HQ's bundle: installs it, writes the configuration");
  v.init->add_option("--bundle", args.bundle, "the bundle file from HQ (mode 0600)")
      ->required()
      ->check(CLI::ExistingFile);
  v.init->add_option("--data", args.data_dir,
                     "the data directory (default $XDG_DATA_HOME/muster, ~/.local/share/muster)");
  v.init->add_flag("--force", args.force, "replace an existing configuration and bundle");
  v.unlock = app.add_subcommand(
      "unlock", "unlock the store for this shift: the daemon keeps the key until it stops");
  v.unlock->add_flag("--set-passphrase", args.set_passphrase,
                     "seal this laptop's store with a new passphrase (once, daemon stopped)");
  v.run = app.add_subcommand("run", "run the sync daemon until SIGINT/SIGTERM");
  v.run->add_flag("--relay", args.relay,
                  "also serve as the team's field relay: teammates sync here while HQ is out "
                  "of reach, and this daemon forwards their records to HQ");
  v.run->add_option("--relay-bind", args.relay_bind,
                    "where the relay listens (default: the config's relay.listen, else "
                    "tcp://0.0.0.0:7480)");
  v.tasks =
      app.add_subcommand("tasks", "list your tasks: state, priority, due time, what each waits on");
  v.show = app.add_subcommand("show", "show a task: playbook text, checklist, fields to record");
  v.ack = app.add_subcommand("ack", "acknowledge a task");
  v.start = app.add_subcommand("start", "start a task");
  v.done = app.add_subcommand("done", "complete a task, with its findings");
  v.block = app.add_subcommand("block", "mark a task blocked, with the reason");
  v.finding = app.add_subcommand("finding", "record findings without completing the task");
  v.tick = app.add_subcommand("tick", "tick an item of a task's checklist (HQ sees it)");
  v.complete = app.add_subcommand(muster::kCompleteVerb, "ids for shell completion")->group("");
  v.complete->add_option("KIND", args.item, "task")->required();
  v.note = app.add_subcommand("note", "record a note for HQ");
  v.checkin = app.add_subcommand(
      "checkin", "check in with your position: HQ's board and map show where you last were");
  v.alert = app.add_subcommand("alert", "raise a safety alert to HQ (sent before anything else)");
  v.team = app.add_subcommand("team", "your team's progress as last relayed by HQ, and its age");
  v.sync = app.add_subcommand("sync", "sync now and wait for the result");
  v.status = app.add_subcommand("status", "link, last sync and what waits in the outbox");
  v.log = app.add_subcommand("log", "every record with its receipt: local, sent or acknowledged");
  for (auto* verb : {v.tasks, v.show, v.team, v.status, v.log}) {
    verb->add_flag("--json", args.json, "answer in JSON");
  }
  for (auto* verb : {v.show, v.ack, v.start, v.done, v.block, v.finding, v.tick}) {
    verb->add_option("TASK", args.task, "task id, or step id when unambiguous")->required();
  }
  for (auto* verb : {v.ack, v.start, v.done, v.finding, v.tick}) {
    verb->add_flag("--force", args.force, "act even if the task waits or was cancelled by HQ");
  }
  for (auto* verb : {v.done, v.finding}) {
    verb->add_option("--field", args.fields,
                     "a finding: NAME=VALUE (repeat); for a file field, VALUE is the file");
    verb->add_option("--attach", args.attach, "attach a file: photo, spectrum, document (repeat)");
    verb->add_flag("--confirm", args.confirm,
                   "accept values outside the playbook's expected range");
    verb->add_option("--marking", args.marking,
                     "raise the finding's handling marking above the step's, e.g. TLP:RED or "
                     "SECRET");
  }
  v.tick->add_option("ITEM", args.item, "the item's number (muster-agent show TASK) or its words")
      ->required();
  v.tick->add_flag("--undo", args.undo, "untick the item");
  v.block->add_option("--reason", args.reason, "why the task cannot go on")->required();
  v.note->add_option("TEXT", args.text, "the note")->required();
  v.note->add_option("--task", args.task, "the task the note is about");
  v.checkin->add_option("PLACE", args.text, "latitude,longitude in decimal degrees (WGS 84)")
      ->required();
  v.alert->add_option("MESSAGE", args.text, "what is wrong")->required();
  v.alert->add_option("--task", args.task, "the task the alert is about");
  v.alert->add_option("--severity", args.severity, "info, warning or critical (default)");
  v.log->add_option("--task", args.task, "only this task's records");
  v.sync->add_option("--timeout", args.timeout_s, "seconds to wait for HQ (default 60)");
  return v;
}

// `completion bash|zsh`: prints the shell completion script and exits, with no
// configuration needed.
void AddCompletionVerb(CLI::App& app, std::string& shell) {
  auto* completion = app.add_subcommand("completion", "print a shell completion script");
  completion->add_option("SHELL", shell, "bash (default) or zsh")
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([&app, &shell] {
    std::cout << (shell == "zsh" ? muster::ZshCompletion(app, "muster-agent")
                                 : muster::BashCompletion(app, "muster-agent"));
    throw CLI::RuntimeError(0);
  });
}

// `run`: the sync daemon, until SIGINT or SIGTERM. With a vault it starts locked: it
// answers `muster-agent unlock` on DATA_DIR/agent.sock and opens the store, and syncs, only
// once unlocked; then it hands the key to the verbs until it stops.
int RunDaemon(const AgentConfig& config, muster::Bundle bundle, const muster::Clock& clock,
              bool serve_relay, const std::string& relay_bind) {
  muster::InitLogging(config.log_level == "warn" ? "info" : config.log_level);
  const sigset_t signals = muster::BlockStopSignals();
  auto lock = muster::DirectoryLock::Acquire(config.data_dir, "muster-agent run");
  if (!lock.ok()) return Fail(lock.status());
  std::atomic<muster::agent::Link*> running{nullptr};
  std::thread waiter([&] {
    muster::WaitForStop(signals, "agent");
    g_stop = true;
    if (auto* link = running.load()) link->Interrupt();
  });
  const auto finish = [&](int code) {
    if (code != 0) {  // the waiter still waits for a signal
      g_stop = true;
      ::kill(::getpid(), SIGTERM);
    }
    waiter.join();
    return code;
  };
  std::unique_ptr<muster::agent::KeyService> keys;
  std::optional<muster::SecretBytes> master;
  if (muster::agent::HasVault(config.data_dir)) {
    auto started = muster::agent::KeyService::Start(config.data_dir);
    if (!started.ok()) return finish(Fail(started.status()));
    keys = std::move(started).value();
    muster::Logger("agent")->info(
        "event=locked agent={} reason=\"waiting for muster-agent unlock\"", bundle.agent_id);
    master = keys->WaitForKey(g_stop);
    if (!master) return finish(0);  // stopped before anyone unlocked it
    if (auto unsealed = muster::agent::UnsealBundleSecret(bundle, *master); !unsealed.ok()) {
      return finish(Fail(unsealed));
    }
  }
  auto store = muster::agent::AgentStore::Open(config.data_dir, bundle, clock,
                                               master ? &*master : nullptr);
  if (!store.ok()) return finish(Fail(store.status()));
  auto pruner_store = muster::agent::AgentStore::Open(config.data_dir, bundle, clock,
                                                      master ? &*master : nullptr);
  if (!pruner_store.ok()) return finish(Fail(pruner_store.status()));
  muster::agent::Pruner pruner(std::move(pruner_store).value(), clock, config.retention_ms);
  muster::agent::LinkOptions options;
  options.watch_dir = config.data_dir;  // the verbs' records wake the daemon
  options.sync.keepalive_ms = config.keepalive_ms;
  options.wipe_also = {config.bundle};
  options.forward_relayed = serve_relay;
  // The field relay's two sides run beside the link to HQ, each on a store connection of
  // its own: serving the team (--relay), or syncing to the team's relay (config relay:).
  std::atomic<bool> sides_stop{false};
  std::vector<std::thread> sides;
  std::unique_ptr<muster::agent::AgentStore> side_store;
  std::unique_ptr<muster::agent::RelayServer> relay_server;
  std::unique_ptr<muster::agent::RelayLink> relay_link;
  if (serve_relay || !config.relay_endpoint.empty()) {
    auto opened = muster::agent::AgentStore::Open(config.data_dir, bundle, clock,
                                                  master ? &*master : nullptr);
    if (!opened.ok()) return finish(Fail(opened.status()));
    side_store = std::move(opened).value();
  }
  master.reset();  // the key service keeps its own copy for the verbs
  if (serve_relay) {
    muster::agent::RelayServerOptions relay_options;
    relay_options.bind = relay_bind.empty() ? config.relay_listen : relay_bind;
    relay_server =
        std::make_unique<muster::agent::RelayServer>(*side_store, bundle, clock, relay_options);
    if (auto started = relay_server->Start(); !started.ok()) return finish(Fail(started));
    sides.emplace_back([&] { relay_server->Run(sides_stop); });
  } else if (!config.relay_endpoint.empty()) {
    muster::agent::RelayLinkOptions relay_options;
    relay_options.endpoint = config.relay_endpoint;
    relay_options.relay_agent = config.relay_agent;
    relay_link =
        std::make_unique<muster::agent::RelayLink>(*side_store, bundle, clock, relay_options);
    sides.emplace_back([&] { relay_link->Run(sides_stop); });
  }
  muster::agent::Link link(**store, bundle, clock, options);
  running = &link;
  muster::Logger("agent")->info("event=started agent={} endpoint={} relay={}", bundle.agent_id,
                                bundle.endpoint,
                                serve_relay ? "serving" : (config.relay_endpoint.empty() ? "none" : config.relay_endpoint));
  if (!g_stop) link.Run(g_stop);
  running = nullptr;
  sides_stop = true;
  for (std::thread& side : sides) side.join();
  if (link.wiped()) {
    std::cerr << *muster::agent::WipedNotice(config.data_dir) << "\n";
    return finish(0);
  }
  muster::Logger("agent")->info("event=stopped agent={}", bundle.agent_id);
  return finish(0);
}

// `unlock`: the member's passphrase, once a shift, handed to the daemon as the vault's
// key (vault/key_service.h). `unlock --set-passphrase` makes the vault, once, with the
// daemon stopped, and seals a store that was plain until then.
// Without a terminal, `unlock` reads the passphrase from standard input.
constexpr const char* kPipedPassphrase = "muster-agent unlock (no terminal: the passphrase is read from standard input)";

int Unlock(const AgentConfig& config, bool set_passphrase) {
  using namespace muster::agent;
  const bool terminal = ::isatty(STDIN_FILENO) != 0;
  if (set_passphrase) {
    auto lock = muster::DirectoryLock::Acquire(config.data_dir, "muster-agent unlock");
    if (!lock.ok()) {
      return Fail(muster::Status::Error(lock.status().code(),
                                        lock.status().message() +
                                            "; stop the daemon first (systemctl --user stop "
                                            "muster-agent), then set the passphrase"));
    }
    if (HasVault(config.data_dir)) {
      return Fail(muster::Status::Error(muster::ErrorCode::kConflict,
                                        "this laptop has a passphrase already: unlock with "
                                        "muster-agent unlock"));
    }
    auto passphrase =
        muster::ReadPassword({"new passphrase: ", !terminal, terminal, kPipedPassphrase});
    if (!passphrase.ok()) return Fail(passphrase.status());
    auto master = CreateVault(config.data_dir, *passphrase);
    if (!master.ok()) return Fail(master.status());
    if (auto sealed = SealPlainStore(config.data_dir, *master); !sealed.ok()) {
      std::remove(VaultPath(config.data_dir).c_str());  // the store stays plain and usable
      return Fail(sealed);
    }
    if (auto sealed = SealBundleSecret(config.bundle, *master); !sealed.ok()) return Fail(sealed);
    std::cout << "the store is sealed: start the daemon (systemctl --user start muster-agent) "
                 "and unlock it with muster-agent unlock at each boot\n";
    return 0;
  }
  if (!HasVault(config.data_dir)) {
    return Fail(muster::Status::Error(
        muster::ErrorCode::kNotFound,
        "this laptop's store has no passphrase: seal it with muster-agent unlock "
        "--set-passphrase"));
  }
  auto passphrase = muster::ReadPassword({"passphrase: ", !terminal, false, kPipedPassphrase});
  if (!passphrase.ok()) return Fail(passphrase.status());
  auto master = UnlockVault(config.data_dir, *passphrase);
  if (!master.ok()) return Fail(master.status());
  if (auto handed = HandKey(config.data_dir, *master); !handed.ok()) {
    if (handed.code() != muster::ErrorCode::kNotReady) return Fail(handed);
    return Fail(muster::Status::Error(
        handed.code(), "the daemon is not running, so nothing keeps the key: start it "
                       "(systemctl --user start muster-agent, or muster-agent run) and unlock "
                       "again"));
  }
  std::cout << "unlocked: the daemon keeps the key until it stops\n";
  return 0;
}

// `sync`: syncs now and says where everything is; non-zero while anything is not where
// it should be: records HQ does not hold or refused, or updates from HQ not applied here.
int SyncNow(const AgentConfig& config, const muster::Bundle& bundle,
            muster::agent::AgentStore& local, const muster::Clock& clock, int timeout_s) {
  muster::agent::LinkOptions options;
  options.wipe_also = {config.bundle};
  muster::agent::Link link(local, bundle, clock, options);
  auto report =
      link.SyncNow(static_cast<muster::Millis>(timeout_s) * 1000, [](std::uint64_t pending) {
        if (pending > 0) std::cerr << "  " << pending << " record(s) to send…\n";
      });
  if (link.wiped()) {
    std::cerr << *muster::agent::WipedNotice(config.data_dir) << "\n";
    return 1;
  }
  if (!report.connected) {
    std::cout << "not synced: " << report.error
              << "; everything stays on this laptop and "
                 "goes at the next sync\n";
    return 1;
  }
  auto stats = local.outbox().Stats();
  std::cout << "synced: " << report.sent_acked << " record(s) acknowledged by HQ now; ";
  if (stats.ok() && stats->pending == 0) {
    std::cout << "HQ has all " << stats->acked << " record(s) you made";
  } else if (stats.ok()) {
    std::cout << "HQ has " << stats->acked << " of your records, NOT yet " << stats->pending << " ("
              << stats->pending_bytes << " bytes; see: muster-agent log)";
  }
  std::cout << "; deliveries applied up to #" << report.applied << "\n";
  const bool behind = report.applied < report.hq_head;
  if (behind) {
    std::cout << "your view is NOT up to date: HQ has " << report.hq_head
              << " update(s) for this laptop, " << report.applied
              << " applied; sync again when the link allows\n";
  }
  if (report.refused > 0) {
    std::cout << "HQ refused " << report.refused
              << " record(s) just now: see why with muster-agent log\n";
  }
  return report.pending == 0 && report.refused == 0 && !behind ? 0 : 1;
}

// `init`: installs the bundle and writes the configuration (agent_init.h).
int Init(const Args& args) {
  muster::agent::InitOptions options{args.bundle, args.config_path,
                                     args.data_dir.empty() ? muster::agent::DefaultDataDir()
                                                           : args.data_dir,
                                     args.force};
  auto installed = muster::agent::InitAgent(options);
  if (!installed.ok()) return Fail(installed.status());
  std::cout << "agent " << installed->agent_id << " of " << installed->member << ", HQ at "
            << installed->endpoint << "\nconfiguration: " << installed->config_path
            << "\nbundle:        " << installed->bundle_path
            << " (the copy you were given may be deleted)\ndata:          "
            << installed->data_dir
            << "\nseal it:       muster-agent unlock --set-passphrase  (before the first "
               "deployment: the store is then encrypted on this disk)"
            << "\nstart syncing: systemctl --user enable --now muster-agent  (or: muster-agent "
               "run), then muster-agent unlock at each boot\n";
  return 0;
}

// The member's verbs: each works on the local store and answers at once. |hq_clock| is
// HQ's time as this laptop best knows it (its own clock corrected by the offset it last
// measured): due times and recurring steps are HQ's times.
muster::Status Verb(const Verbs& v, const Args& a, muster::agent::AgentStore& local,
                    const muster::Clock& clock, const muster::Clock& hq_clock) {
  using namespace muster::agent;
  if (v.tasks->parsed()) return ListTasks(local, hq_clock, a.json, std::cout);
  if (v.show->parsed()) return ShowTask(local, a.task, a.json, std::cout);
  if (v.ack->parsed()) return SetState(local, a.task, "acknowledged", "", a.force, std::cout);
  if (v.start->parsed()) return SetState(local, a.task, "in_progress", "", a.force, std::cout);
  if (v.block->parsed()) return SetState(local, a.task, "blocked", a.reason, a.force, std::cout);
  if (v.done->parsed()) {
    return RecordFinding(local, a.task, a.fields, a.confirm, true, a.force, std::cout, a.attach,
                         a.marking);
  }
  if (v.finding->parsed()) {
    return RecordFinding(local, a.task, a.fields, a.confirm, false, a.force, std::cout, a.attach,
                         a.marking);
  }
  if (v.note->parsed()) return RecordNote(local, a.task, a.text, std::cout);
  if (v.checkin->parsed()) return CheckIn(local, a.text, std::cout);
  if (v.complete->parsed()) return a.item == "task" ? PrintTaskIds(local, std::cout) : muster::Status::Ok();
  if (v.tick->parsed()) return TickItem(local, a.task, a.item, !a.undo, a.force, std::cout);
  if (v.alert->parsed()) return RaiseAlert(local, a.task, a.text, a.severity, std::cout);
  if (v.team->parsed()) return ShowTeam(local, clock, a.json, std::cout);
  if (v.status->parsed()) return ShowStatus(local, clock, a.json, std::cout);
  if (v.log->parsed()) return ShowLog(local, a.task, a.json, std::cout);
  return muster::Status::Ok();
}

// A verb, with the laptop's tasks brought up to the clock before it (a recurring step's
// new occurrence can be acted on) and after it (a task it blocked escalates at once).
// The schedule failing (a full disk) never stops the verb: it is tried again next time.
muster::Status RunVerb(const Verbs& v, const Args& a, muster::agent::AgentStore& local,
                       const muster::Clock& clock) {
  const muster::OffsetClock hq_clock = muster::agent::ClockOfHq(local, clock);
  if (v.complete->parsed()) return Verb(v, a, local, clock, hq_clock);
  std::ostream& notes = a.json ? std::cerr : std::cout;
  const auto schedule = [&] {
    muster::Status status = muster::agent::RunSchedule(local, hq_clock, notes);
    if (status.ok()) status = muster::agent::PrintNewNotices(local, notes);
    if (!status.ok()) {
      std::cerr << "note: recurring steps, escalations and notices not brought up to date: "
                << status.message() << "; the next command tries again\n";
    }
  };
  schedule();
  muster::Status result = Verb(v, a, local, clock, hq_clock);
  schedule();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  muster::ProgramOutput output(argc, argv);
  CLI::App app{
      "muster-agent: your assignments, the playbook and everything you record, on "
      "this laptop, synced with HQ whenever a link exists."};
  app.require_subcommand(1);
  muster::AddVersionFlag(app, "muster-agent");
  Args args;
  if (const char* env = std::getenv("MUSTER_AGENT_CONFIG")) args.config_path = env;
  app.add_option("--config", args.config_path, "agent configuration (env MUSTER_AGENT_CONFIG)");
  const Verbs verbs = AddVerbs(app, args);
  std::string shell = "bash";
  AddCompletionVerb(app, shell);
  if (auto done = muster::ParseCommandLine(app, argc, argv)) return *done;

  // Without --config or MUSTER_AGENT_CONFIG: the configuration init writes by default.
  const std::string default_config = muster::agent::DefaultConfigPath();
  if (args.config_path.empty() && (verbs.init->parsed() || std::filesystem::exists(default_config))) {
    args.config_path = default_config;
  }
  if (verbs.init->parsed()) return Init(args);
  if (args.config_path.empty()) {
    return Fail(muster::Status::Error(
        muster::ErrorCode::kInvalidArgument,
        "give --config FILE (or set MUSTER_AGENT_CONFIG), or set this laptop up first with "
        "muster-agent init --bundle FILE"));
  }
  auto config = LoadConfig(args.config_path);
  if (!config.ok()) return Fail(config.status());
  if (auto wiped = muster::agent::WipedNotice(config->data_dir)) {
    return Fail(muster::Status::Error(muster::ErrorCode::kForbidden, *wiped));
  }
  muster::InitLogging(config->log_level);
  auto bundle = muster::ReadBundleFile(config->bundle);
  if (!bundle.ok()) return Fail(bundle.status());
  if (auto made = muster::EnsureDirectory(config->data_dir, 0700); !made.ok()) return Fail(made);
  muster::SystemClock clock;
  if (verbs.unlock->parsed()) return Unlock(*config, args.set_passphrase);
  if (!bundle->sealed_secret_key.empty() && !muster::agent::HasVault(config->data_dir)) {
    return Fail(muster::Status::Error(
        muster::ErrorCode::kDamaged,
        config->bundle + " holds a sealed secret key but " +
            muster::agent::VaultPath(config->data_dir) +
            " is missing: restore it, or ask HQ for a new enrolment"));
  }
  if (verbs.run->parsed()) return RunDaemon(*config, *bundle, clock, args.relay, args.relay_bind);
  // A sealed store opens with the key the unlocked daemon holds, or not at all.
  std::optional<muster::SecretBytes> master;
  if (muster::agent::HasVault(config->data_dir)) {
    auto key = muster::agent::FetchKey(config->data_dir);
    if (!key.ok() && verbs.complete->parsed()) return 0;  // no ids to complete while locked
    if (!key.ok()) return Fail(key.status());
    master = std::move(key).value();
    if (auto unsealed = muster::agent::UnsealBundleSecret(*bundle, *master); !unsealed.ok()) {
      return Fail(unsealed);
    }
  }
  auto store = muster::agent::AgentStore::Open(config->data_dir, *bundle, clock,
                                               master ? &*master : nullptr);
  if (!store.ok()) return Fail(store.status());
  muster::agent::AgentStore& local = **store;

  if (verbs.sync->parsed()) return SyncNow(*config, *bundle, local, clock, args.timeout_s);
  muster::Status result = RunVerb(verbs, args, local, clock);
  return result.ok() ? 0 : Fail(result);
}
