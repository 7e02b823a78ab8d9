#include "agent_commands.h"

#include <iostream>

#include "muster/files.h"

namespace muster::console {
namespace {

// Prints |answer| (JSON or |human|) or fails the verb with exit status 1.
void Finish(const Result<json>& answer, bool json_output, const std::string& human) {
  if (!answer.ok()) {
    std::cerr << "muster: " << answer.status().message() << "\n";
    throw CLI::RuntimeError(1);
  }
  std::cout << (json_output ? answer->dump(2) : human) << "\n";
}

}  // namespace

Result<json> SaveBundle(Result<json> answer, const std::string& path) {
  if (!answer.ok()) return answer;
  Status written = WriteFileAtomic(path, (*answer)["bundle"].get<std::string>(), 0600);
  if (!written.ok()) return written;
  answer->erase("bundle");
  return answer;
}

void RegisterAgentKeyCommands(CLI::App& agent, Connector connect, const bool& json_output) {
  auto agent_id = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();

  auto* revoke = agent.add_subcommand(
      "revoke", "cut an agent off now, also on its open connection; HQ keeps what it sent");
  revoke->add_option("AGENT", *agent_id, "the agent id, e.g. jonas-1")->required();
  revoke->callback([connect, agent_id, &json_output] {
    auto api = connect();
    Result<json> revoked = api.ok() ? api->Post("/v1/agents/" + *agent_id + "/revoke", json::object())
                                    : Result<json>(api.status());
    Finish(revoked, json_output,
           "revoked " + *agent_id + ": its key is refused from now on; enrol a new agent "
           "for the member if they need one");
  });

  auto* rotate = agent.add_subcommand(
      "rotate", "give an agent a new key in a new bundle; the old key stops working now");
  rotate->add_option("AGENT", *agent_id, "the agent id, e.g. jonas-1")->required();
  rotate->add_option("--out", *out, "where to write the new bundle (mode 0600)")->required();
  rotate->callback([connect, agent_id, out, &json_output] {
    auto api = connect();
    Result<json> rotated =
        SaveBundle(api.ok() ? api->Post("/v1/agents/" + *agent_id + "/rotate", json::object())
                            : Result<json>(api.status()),
                   *out);
    Finish(rotated, json_output,
           "new key for " + *agent_id + "; bundle written to " + *out +
               ": replace the agent's bundle file with it and restart the agent (same "
               "data_dir; its work continues)");
  });
}

}  // namespace muster::console
