#include "agent_commands.h"

#include <iostream>
#include <memory>

#include "cli_support.h"
#include "muster/keys.h"
#include "muster/private_file.h"

namespace muster::console {
namespace {

// Prints |answer| (JSON or |human|) or fails the verb with exit status 1.
void Finish(const Result<json>& answer, bool json_output, const std::string& human) {
  if (!answer.ok()) Fail(json_output, answer.status());
  std::cout << (json_output ? answer->dump(2) : human) << "\n";
}

// Completes the bundle of an enrolment or rotation answer with |secret_key| and writes it
// into |file|; the answer keeps everything but the bundle.
Result<json> WriteBundle(json answer, const std::string& secret_key, PrivateFile& file) {
  json bundle = json::parse(answer.value("bundle", ""), nullptr, false);
  if (!bundle.is_object()) {
    return Status::Error(ErrorCode::kMalformed, "HQ's answer holds no bundle");
  }
  bundle["secret_key"] = secret_key;
  MUSTER_RETURN_IF_ERROR(file.Commit(bundle.dump(2)));
  answer.erase("bundle");
  return answer;
}

// The public key HQ holds for |agent_id| now, to give it back if the new bundle cannot be
// written.
Result<std::string> CurrentKey(ApiClient& api, const std::string& agent_id) {
  Result<json> agents = api.Get("/v1/agents");
  if (!agents.ok()) return agents.status();
  for (const json& agent : *agents) {
    if (agent.value("id", "") == agent_id) return agent.value("public_key", "");
  }
  return Status::Error(ErrorCode::kNotFound,
                       "no agent '" + agent_id + "'; list them with: muster agent list");
}

struct KeyOptions {
  std::string agent_or_member;
  std::string out;
  bool force = false;
  bool replace = false;
  bool add_device = false;
  bool wipe = false;
};

CLI::App* AddOutOptions(CLI::App* command, const std::shared_ptr<KeyOptions>& options) {
  command->add_option("--out", options->out, "where to write the bundle (mode 0600)")->required();
  command->add_flag("--force", options->force, "replace an existing file at --out");
  return command;
}

// Reserves the file, makes a key pair, asks HQ at |route| with |request| (plus the public
// key), writes the bundle. |undo| reverses HQ's change when the bundle cannot be written.
Result<json> IssueBundle(Connector& connect, const KeyOptions& options, const std::string& route,
                         json request,
                         const std::function<std::string(ApiClient&, const json&)>& undo) {
  // A bundle is about 400 bytes; more is reserved so that writing it cannot meet a full
  // disk after HQ committed its key.
  Result<PrivateFile> file = PrivateFile::Reserve(options.out, options.force, "--out", 16 * 1024);
  if (!file.ok()) return file.status();
  Result<KeyPair> keys = GenerateKeyPair();
  if (!keys.ok()) return keys.status();
  Result<ApiClient> api = connect();
  if (!api.ok()) return api.status();
  request["public_key"] = keys->public_key;
  Result<json> answer = api->Post(route, request);
  if (!answer.ok()) return answer;
  Result<json> written = WriteBundle(*answer, keys->secret_key, *file);
  if (written.ok()) return written;
  return Status::Error(written.status().code(),
                       written.status().message() + "; " + undo(*api, *answer));
}

}  // namespace

void RegisterAgentKeyCommands(CLI::App& agent, Connector connect, const bool& json_output) {
  auto options = std::make_shared<KeyOptions>();

  auto* enroll = AddOutOptions(
      agent.add_subcommand("enroll", "make an enrolment bundle for a member's laptop"), options);
  enroll->add_option("MEMBER", options->agent_or_member, "the member")->required();
  auto* replace = enroll->add_flag(
      "--replace", options->replace,
      "the member's new laptop replaces their agent: it is revoked, this one gets their work");
  enroll
      ->add_flag("--add-device", options->add_device,
                 "give the member a second device; each receives every delivery")
      ->excludes(replace);
  enroll->callback([connect, options, &json_output]() mutable {
    const std::string devices = options->replace ? "replace" : options->add_device ? "add" : "only";
    Result<json> enrolled =
        IssueBundle(connect, *options, "/v1/agents",
                    {{"member", options->agent_or_member}, {"devices", devices}},
                    [](ApiClient& api, const json& answer) {
                      const std::string id = answer.value("agent_id", "");
                      return api.Post("/v1/agents/" + id + "/revoke", json::object()).ok()
                                 ? "HQ revoked " + id + " again: nothing is enrolled"
                                 : "revoke " + id + " now: muster agent revoke " + id;
                    });
    std::string human;
    if (enrolled.ok()) {
      human = "enrolled agent " + enrolled->value("agent_id", "") + " for " +
              options->agent_or_member + "; bundle written to " + options->out +
              " (hand it over once, then delete this copy)";
      for (const json& old : enrolled->value("superseded", json::array())) {
        human += "\nrevoked " + old.get<std::string>() + ": superseded by the new agent";
      }
    }
    Finish(enrolled, json_output, human);
  });

  auto* revoke = agent.add_subcommand(
      "revoke", "cut an agent off now, also on its open connection; HQ keeps what it sent");
  revoke->add_option("AGENT", options->agent_or_member, "the agent id, e.g. jonas-1")->required();
  revoke->add_flag("--wipe", options->wipe,
                   "also order the laptop to destroy its keys, store and files at its next "
                   "contact (a lost or seized laptop); works on an agent already revoked");
  revoke->callback([connect, options, &json_output] {
    auto api = connect();
    const std::string& id = options->agent_or_member;
    Result<json> revoked =
        api.ok() ? api->Post("/v1/agents/" + id + "/revoke",
                             options->wipe ? json{{"wipe", true}} : json::object())
                 : Result<json>(api.status());
    std::string human = "revoked " + id +
                        ": its key is refused from now on; enrol a new agent for the member "
                        "if they need one";
    if (options->wipe) {
      human += "\nwipe ordered: the laptop gets the order at its next contact, destroys its "
               "data and confirms (muster agent list shows wipe: confirmed)";
    }
    if (revoked.ok() && !revoked->value("resent_to", json::array()).empty()) {
      human += "\nwhat it had not received is sent to " + revoked->at("resent_to").dump();
    }
    Finish(revoked, json_output, human);
  });

  auto* rotate = AddOutOptions(
      agent.add_subcommand(
          "rotate", "give an agent a new key in a new bundle; the old key stops working now"),
      options);
  rotate->add_option("AGENT", options->agent_or_member, "the agent id, e.g. jonas-1")->required();
  rotate->callback([connect, options, &json_output]() mutable {
    const std::string& id = options->agent_or_member;
    Result<ApiClient> api = connect();
    const Result<std::string> old_key =
        api.ok() ? CurrentKey(*api, id) : Result<std::string>(api.status());
    Result<json> rotated =
        !old_key.ok()
            ? Result<json>(old_key.status())
            : IssueBundle(
                  connect, *options, "/v1/agents/" + id + "/rotate", json::object(),
                  [&](ApiClient& api, const json&) {
                    return api.Post("/v1/agents/" + id + "/rotate", {{"public_key", *old_key}}).ok()
                               ? "HQ gave " + id +
                                     " its old key back: its laptop keeps "
                                     "working"
                               : id + " has a key nobody holds: rotate it "
                                      "again with a writable --out";
                  });
    Finish(rotated, json_output,
           "new key for " + id + "; bundle written to " + options->out +
               ": replace the agent's bundle file with it and restart the agent (same "
               "data_dir; its work continues)");
  });
}

}  // namespace muster::console
