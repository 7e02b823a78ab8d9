// What HQ delivers to an agent, one struct per kind (docs/protocol.md §4): HQ builds
// them, the agent applies them, tests use them. Encode() gives the body as it travels;
// Decode() never throws and names the first field that is wrong ("malformed").
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/clock.h"
#include "muster/playbook/model.h"
#include "muster/playbook/signature.h"
#include "muster/result.h"
#include "muster/watchlist/matcher.h"
#include "muster/wire/records.h"

namespace muster::wire {

using nlohmann::json;

// Delivery kinds. The wire names are DeliveryKindName's; append only.
enum class DeliveryKind { kPlaybook, kTask, kTeam, kPlaybookStatus, kNotice, kWatchlist };
[[nodiscard]] const char* DeliveryKindName(DeliveryKind kind);
[[nodiscard]] std::optional<DeliveryKind> DeliveryKindFromName(std::string_view name);

// A pinned playbook version, whole, with its author's signature when it has one. The
// agent applies it only when sha256(source) is |hash| and the signature verifies.
struct PlaybookDelivery {
  static constexpr DeliveryKind kKind = DeliveryKind::kPlaybook;
  std::string hash;  // content hash: what tasks name
  std::string id;
  std::string version;
  std::string source;
  std::optional<playbook::Signature> signature;  // absent: published unsigned
  [[nodiscard]] static PlaybookDelivery Of(const playbook::Playbook& book,
                                           std::optional<playbook::Signature> signature);
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<PlaybookDelivery> Decode(const json& body);
};

// HQ revoked a published playbook version: running tasks from it go on, but their member
// is told (`muster-agent tasks` and `show` mark them).
struct PlaybookStatusDelivery {
  static constexpr DeliveryKind kKind = DeliveryKind::kPlaybookStatus;
  std::string hash;  // content hash of the version
  Millis revoked_at = 0;  // HQ's clock
  std::string revoked_by;
  std::string reason;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<PlaybookStatusDelivery> Decode(const json& body);
};

// A task this task waits on, as its member sees it.
struct WaitsOn {
  std::string task;
  std::string step;
  std::string member;
  std::string name;
  std::string state;
  bool any = false;  // the step says `completion: any`: one completed task of it suffices
};

// A task of the member's, as HQ holds it now.
struct TaskDelivery {
  static constexpr DeliveryKind kKind = DeliveryKind::kTask;
  std::string task;
  std::int64_t deployment = 0;
  std::string step;
  std::string member;
  std::string state;
  bool dormant = false;
  std::string reason;
  std::optional<Millis> due_at;
  std::optional<Millis> ready_at;  // HQ's clock; a recurring step's occurrences count from it
  std::string playbook;  // content hash
  std::string incident;
  std::string incident_title;
  bool exercise = false;  // the incident is an exercise: the laptop marks it so
  std::vector<WaitsOn> waits_on;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<TaskDelivery> Decode(const json& body);
};

// One task of a team view.
struct TeamTask {
  std::string task;
  std::string step;
  std::string member;
  std::string state;
};

// The deployment's whole team view: replaces the one the agent holds.
struct TeamView {
  static constexpr DeliveryKind kKind = DeliveryKind::kTeam;
  std::int64_t deployment = 0;
  std::string incident;
  std::string playbook;
  Millis at = 0;
  std::int64_t version = 0;
  std::map<std::string, std::string> members;  // member id -> name
  std::vector<TeamTask> tasks;                 // in the view's order: changes name tasks by place
  // The team's active agents: agent id -> CURVE public key (Z85). The field relay admits
  // these keys and no others, and members dial the relay with its agent's key.
  std::map<std::string, std::string> agents;
  std::map<std::string, std::string> agent_members;  // agent id -> its member
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<TeamView> Decode(const json& body);
};

// What changed in a team view since the version the agent holds: states by place (a
// code of protocol::TeamStates()) and new tasks at their places.
struct TeamChange {
  struct Set {
    std::uint64_t index = 0;
    std::int64_t state = 0;
  };
  struct Added {
    std::uint64_t index = 0;
    std::string task;
    std::string step;
    std::string member;
    std::int64_t state = 0;
  };
  static constexpr DeliveryKind kKind = DeliveryKind::kTeam;
  std::int64_t deployment = 0;
  std::int64_t version = 0;
  std::vector<Set> set;
  std::vector<Added> add;
  std::map<std::string, std::string> members;  // names of the added tasks' members
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<TeamChange> Decode(const json& body);
};

// A `team` delivery is a whole view, a change, or a mark that a newer one follows.
struct TeamDelivery {
  static constexpr DeliveryKind kKind = DeliveryKind::kTeam;
  enum class Form { kView, kChange, kSuperseded };
  [[nodiscard]] static Result<Form> FormOf(const json& body);
};

// A message for the members of a role, from a playbook's `notify: ... to: ROLE` (a
// trigger's or an escalation's): the laptop shows it until its member has seen it.
struct NoticeDelivery {
  static constexpr DeliveryKind kKind = DeliveryKind::kNotice;
  std::int64_t deployment = 0;
  std::string role;
  std::string source;  // the trigger or escalation id that sent it
  std::string text;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<NoticeDelivery> Decode(const json& body);
};

// Persons of interest an incident's team checks people against (docs/programme.md):
// entries to keep (added or changed) and notice ids to drop, for one incident. |whole|:
// the entries are the incident's whole list, and the agent drops every other it holds
// for the incident (an empty whole list drops them all, as at demobilisation).
struct WatchlistDelivery {
  static constexpr DeliveryKind kKind = DeliveryKind::kWatchlist;
  std::string incident;
  bool whole = false;
  std::vector<watchlist::Entry> entries;
  std::vector<std::string> removed;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<WatchlistDelivery> Decode(const json& body);
};

// One watchlist entry as deliveries and HQ's store write it, and back; errors name the
// field.
[[nodiscard]] json EncodeWatchlistEntry(const watchlist::Entry& entry);
[[nodiscard]] Result<watchlist::Entry> DecodeWatchlistEntry(const json& body);

// The entry of a typed delivery (any of the structs above).
template <typename T>
[[nodiscard]] Entry MakeDelivery(std::uint64_t seq, Millis at, const T& delivery) {
  return {seq, DeliveryKindName(T::kKind), at, delivery.Encode()};
}

}  // namespace muster::wire
