#include "muster/wire/deliveries.h"

#include <array>

#include "body_reader.h"
#include "muster/protocol.h"

namespace muster::wire {
namespace {

constexpr std::array<const char*, 6> kDeliveryKindNames = {
    "playbook", "task", "team", "playbook_status", "notice", "watchlist"};

std::map<std::string, std::string> ReadNames(BodyReader& reader, const char* field) {
  std::map<std::string, std::string> names;
  const json* map = reader.OptionalObject(field);
  if (map == nullptr) return names;
  for (const auto& [member, name] : map->items()) {
    if (!name.is_string()) {
      reader.Fail(ErrorCode::kMalformed,
                  std::string("field '") + field + "' must map ids to strings");
      return {};
    }
    names[member] = name.get<std::string>();
  }
  return names;
}

bool IsIndex(const json& value) {
  return value.is_number_unsigned() ||
         (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

// A text field of an entry that only informs the member: a value of another type shows
// as nothing rather than costing the whole delivery.
std::string Informative(const json& entry, const char* name) {
  auto it = entry.find(name);
  return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

const char* DeliveryKindName(DeliveryKind kind) {
  return kDeliveryKindNames[static_cast<std::size_t>(kind)];
}

std::optional<DeliveryKind> DeliveryKindFromName(std::string_view name) {
  return KindNamed<DeliveryKind>(kDeliveryKindNames, name);
}

PlaybookDelivery PlaybookDelivery::Of(const playbook::Playbook& book,
                                      std::optional<playbook::Signature> signature) {
  return {book.content_hash, book.id, book.version, book.source, std::move(signature)};
}

json PlaybookDelivery::Encode() const {
  json body = {{"hash", hash}, {"id", id}, {"version", version}, {"source", source}};
  if (signature) body["signature"] = signature->Encode();
  return body;
}

Result<PlaybookDelivery> PlaybookDelivery::Decode(const json& body) {
  BodyReader reader(body, "a playbook delivery");
  PlaybookDelivery delivery;
  delivery.hash = reader.String("hash");
  delivery.id = reader.String("id");
  delivery.version = reader.String("version");
  delivery.source = reader.String("source");
  if (const json* signature = reader.OptionalObject("signature")) {
    auto decoded = playbook::Signature::Decode(*signature);
    if (!decoded.ok()) reader.Fail(ErrorCode::kMalformed, decoded.status().message());
    if (decoded.ok()) delivery.signature = std::move(decoded).value();
  }
  return Finish(reader, std::move(delivery));
}

json PlaybookStatusDelivery::Encode() const {
  return {{"hash", hash}, {"revoked_at", revoked_at}, {"revoked_by", revoked_by},
          {"reason", reason}};
}

Result<PlaybookStatusDelivery> PlaybookStatusDelivery::Decode(const json& body) {
  BodyReader reader(body, "a playbook status delivery");
  PlaybookStatusDelivery delivery;
  delivery.hash = reader.String("hash");
  delivery.revoked_at = reader.Integer("revoked_at");
  delivery.revoked_by = reader.OptionalString("revoked_by");
  delivery.reason = reader.OptionalString("reason");
  return Finish(reader, std::move(delivery));
}

json TaskDelivery::Encode() const {
  json waits = json::array();
  for (const WaitsOn& entry : waits_on) {
    waits.push_back({{"task", entry.task},
                     {"step", entry.step},
                     {"member", entry.member},
                     {"name", entry.name},
                     {"state", entry.state}});
    if (entry.any) waits.back()["completion"] = "any";
  }
  json body = {{"task", task},
          {"deployment", deployment},
          {"step", step},
          {"member", member},
          {"state", state},
          {"dormant", dormant},
          {"reason", reason},
          {"due_at", due_at ? json(*due_at) : json()},
          {"ready_at", ready_at ? json(*ready_at) : json()},
          {"playbook", playbook},
          {"incident", incident},
          {"incident_title", incident_title},
          {"waits_on", std::move(waits)}};
  if (exercise) body["exercise"] = true;  // absent otherwise: bytes count on a thin link
  return body;
}

Result<TaskDelivery> TaskDelivery::Decode(const json& body) {
  BodyReader reader(body, "a task delivery");
  TaskDelivery delivery;
  delivery.task = reader.String("task");
  delivery.deployment = reader.Integer("deployment");
  delivery.step = reader.String("step");
  delivery.member = reader.OptionalString("member");
  delivery.state = reader.OptionalString("state", "waiting");
  delivery.dormant = reader.OptionalBool("dormant", false);
  delivery.reason = reader.OptionalString("reason");
  delivery.due_at = reader.OptionalInteger("due_at");
  delivery.ready_at = reader.OptionalInteger("ready_at");
  delivery.playbook = reader.String("playbook");
  delivery.incident = reader.OptionalString("incident");
  delivery.incident_title = reader.OptionalString("incident_title");
  delivery.exercise = reader.OptionalBool("exercise", false);
  if (const json* waits = reader.OptionalArray("waits_on")) {
    for (const json& entry : *waits) {
      if (!entry.is_object()) continue;  // an entry this build cannot read shows nothing
      delivery.waits_on.push_back({Informative(entry, "task"), Informative(entry, "step"),
                                   Informative(entry, "member"), Informative(entry, "name"),
                                   Informative(entry, "state"),
                                   Informative(entry, "completion") == "any"});
    }
  }
  return Finish(reader, std::move(delivery));
}

json TeamView::Encode() const {
  json list = json::array();
  for (const TeamTask& entry : tasks) {
    list.push_back({{"task", entry.task},
                    {"step", entry.step},
                    {"member", entry.member},
                    {"state", entry.state}});
  }
  json body = {{"deployment", deployment}, {"incident", incident}, {"playbook", playbook},
               {"at", at},
               {"version", version},       {"members", members},   {"tasks", std::move(list)}};
  if (!agents.empty()) body["agents"] = agents;
  if (!agent_members.empty()) body["agent_members"] = agent_members;
  return body;
}

json NoticeDelivery::Encode() const {
  return {{"deployment", deployment}, {"role", role}, {"source", source}, {"text", text}};
}

Result<NoticeDelivery> NoticeDelivery::Decode(const json& body) {
  BodyReader reader(body, "a notice");
  NoticeDelivery notice;
  notice.deployment = reader.Integer("deployment");
  notice.role = reader.OptionalString("role");
  notice.source = reader.OptionalString("source");
  notice.text = reader.String("text");
  return Finish(reader, std::move(notice));
}

Result<TeamView> TeamView::Decode(const json& body) {
  BodyReader reader(body, "a team view");
  TeamView view;
  view.deployment = reader.Integer("deployment");
  view.incident = reader.OptionalString("incident");
  view.playbook = reader.OptionalString("playbook");
  view.at = reader.OptionalInteger("at").value_or(0);
  view.version = reader.OptionalInteger("version").value_or(0);
  view.members = ReadNames(reader, "members");
  view.agents = ReadNames(reader, "agents");
  view.agent_members = ReadNames(reader, "agent_members");
  if (const json* tasks = reader.Array("tasks")) {
    for (const json& entry : *tasks) {
      // A place this build cannot read stays a place, so that changes still line up.
      if (!entry.is_object()) {
        view.tasks.emplace_back();
        continue;
      }
      view.tasks.push_back({Informative(entry, "task"), Informative(entry, "step"),
                            Informative(entry, "member"), Informative(entry, "state")});
    }
  }
  return Finish(reader, std::move(view));
}

json TeamChange::Encode() const {
  json body = {{"deployment", deployment}, {"version", version}};
  if (!set.empty()) {
    json list = json::array();
    for (const Set& entry : set) list.push_back({entry.index, entry.state});
    body["set"] = std::move(list);
  }
  if (!add.empty()) {
    json list = json::array();
    for (const Added& entry : add) {
      list.push_back({entry.index, entry.task, entry.step, entry.member, entry.state});
    }
    body["add"] = std::move(list);
    body["members"] = members;
  }
  return body;
}

Result<TeamChange> TeamChange::Decode(const json& body) {
  BodyReader reader(body, "a team change");
  TeamChange change;
  change.deployment = reader.Integer("deployment");
  change.version = reader.Integer("version");
  change.members = ReadNames(reader, "members");
  const auto bad = [](const char* what) { return Status::Error(ErrorCode::kMalformed, what); };
  if (const json* set = reader.OptionalArray("set")) {
    for (const json& entry : *set) {
      if (!entry.is_array() || entry.size() != 2 || !IsIndex(entry[0]) ||
          !entry[1].is_number_integer()) {
        return bad("'set' must hold [place, state code] pairs");
      }
      change.set.push_back(
          {static_cast<std::uint64_t>(entry[0].get<std::int64_t>()), entry[1].get<std::int64_t>()});
    }
  }
  if (const json* add = reader.OptionalArray("add")) {
    for (const json& entry : *add) {
      if (!entry.is_array() || entry.size() != 5 || !IsIndex(entry[0]) || !entry[1].is_string() ||
          !entry[2].is_string() || !entry[3].is_string() || !entry[4].is_number_integer()) {
        return bad("'add' must hold [place, task, step, member, state code] entries");
      }
      change.add.push_back({static_cast<std::uint64_t>(entry[0].get<std::int64_t>()),
                            entry[1].get<std::string>(), entry[2].get<std::string>(),
                            entry[3].get<std::string>(), entry[4].get<std::int64_t>()});
    }
  }
  return Finish(reader, std::move(change));
}

Result<TeamDelivery::Form> TeamDelivery::FormOf(const json& body) {
  if (!body.is_object()) {
    return Status::Error(ErrorCode::kMalformed, "a team delivery must be a map");
  }
  auto superseded = body.find("superseded");
  if (superseded != body.end() && superseded->is_boolean() && superseded->get<bool>()) {
    return Form::kSuperseded;
  }
  return body.contains("tasks") ? Form::kView : Form::kChange;
}

json EncodeWatchlistEntry(const watchlist::Entry& entry) {
  return {{"notice", entry.notice_id},        {"type", entry.notice_type},
          {"names", entry.names},             {"date_of_birth", entry.date_of_birth},
          {"nationalities", entry.nationalities}, {"documents", entry.documents},
          {"regions", entry.regions}};
}

Result<watchlist::Entry> DecodeWatchlistEntry(const json& body) {
  BodyReader reader(body, "a watchlist entry");
  watchlist::Entry entry;
  entry.notice_id = reader.String("notice");
  entry.notice_type = reader.OptionalString("type");
  entry.names = reader.OptionalStrings("names");
  entry.date_of_birth = reader.OptionalString("date_of_birth");
  entry.nationalities = reader.OptionalStrings("nationalities");
  entry.documents = reader.OptionalStrings("documents");
  entry.regions = reader.OptionalStrings("regions");
  if (reader.ok() && entry.notice_id.empty()) {
    reader.Fail(ErrorCode::kMalformed, "a watchlist entry needs a notice id");
  }
  if (reader.ok() && entry.names.empty() && entry.documents.empty()) {
    reader.Fail(ErrorCode::kMalformed,
                "watchlist entry " + entry.notice_id + " has neither a name nor a document");
  }
  if (reader.ok()) {
    if (const std::string problem = watchlist::DateOfBirthProblem(entry.date_of_birth);
        !problem.empty()) {
      reader.Fail(ErrorCode::kMalformed, "watchlist entry " + entry.notice_id + ": " + problem);
    }
  }
  return Finish(reader, std::move(entry));
}

json WatchlistDelivery::Encode() const {
  json list = json::array();
  for (const watchlist::Entry& entry : entries) list.push_back(EncodeWatchlistEntry(entry));
  return {{"incident", incident}, {"whole", whole}, {"entries", std::move(list)},
          {"removed", removed}};
}

Result<WatchlistDelivery> WatchlistDelivery::Decode(const json& body) {
  BodyReader reader(body, "a watchlist delivery");
  WatchlistDelivery delivery;
  delivery.incident = reader.String("incident");
  delivery.whole = reader.OptionalBool("whole", false);
  delivery.removed = reader.OptionalStrings("removed");
  if (const json* entries = reader.OptionalArray("entries")) {
    for (const json& element : *entries) {
      Result<watchlist::Entry> entry = DecodeWatchlistEntry(element);
      if (!entry.ok()) return entry.status();
      delivery.entries.push_back(std::move(*entry));
    }
  }
  return Finish(reader, std::move(delivery));
}

}  // namespace muster::wire
