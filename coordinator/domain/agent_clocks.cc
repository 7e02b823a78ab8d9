#include "domain/agent_clocks.h"

#include <SQLiteCpp/Statement.h>

#include <cstdlib>

#include "muster/clock_offset.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

constexpr Millis kLargestOffset = 100LL * 366 * 24 * 3'600'000;
constexpr Millis kLargestRoundTrip = 24LL * 3'600'000;

}  // namespace

std::optional<ClockReport> ClockReportIn(const nlohmann::json& body) {
  auto offset = body.find("clock_offset");
  auto rtt = body.find("clock_rtt");
  if (offset == body.end() || rtt == body.end() || !offset->is_number_integer() ||
      !rtt->is_number_integer() || (!rtt->is_number_unsigned() && rtt->get<Millis>() < 0)) {
    return std::nullopt;
  }
  const Millis offset_ms = offset->is_number_unsigned()
                               ? static_cast<Millis>(std::min<std::uint64_t>(
                                     offset->get<std::uint64_t>(), kLargestOffset + 1))
                               : offset->get<Millis>();
  const std::uint64_t rtt_ms = rtt->get<std::uint64_t>();
  if (offset_ms < -kLargestOffset || offset_ms > kLargestOffset || rtt_ms > kLargestRoundTrip) {
    return std::nullopt;
  }
  return ClockReport{offset_ms, static_cast<Millis>(rtt_ms)};
}

Status AgentClocks::Record(const std::string& agent_id, const ClockReport& report,
                           std::set<std::int64_t>* moved) {
  auto read = statements_.Get("SELECT member_id, clock_offset_ms FROM agents WHERE id=?");
  read->bind(1, agent_id);
  if (!read->executeStep()) {
    read->reset();
    return Status::Ok();
  }
  const std::string member_id = read->getColumn(0).getString();
  const bool was_known = !read->getColumn(1).isNull();
  read->reset();
  auto write = statements_.Get(
      "UPDATE agents SET clock_offset_ms=?, clock_rtt_ms=?, clock_reported_at=? WHERE id=?");
  write->bind(1, static_cast<std::int64_t>(report.offset_ms));
  write->bind(2, static_cast<std::int64_t>(report.rtt_ms));
  write->bind(3, static_cast<std::int64_t>(clock_.Now()));
  write->bind(4, agent_id);
  write->exec();
  if (!was_known) {
    Result<std::set<std::int64_t>> placed = PlaceProvisional(agent_id, member_id, report.offset_ms);
    if (!placed.ok()) return placed.status();
    if (moved) moved->insert(placed->begin(), placed->end());
  }
  return AlertSkew(agent_id, member_id, report);
}

Placement AgentClocks::Place(const std::string& agent_id, Millis agent_at, Millis received_at) {
  auto read = statements_.Get("SELECT clock_offset_ms FROM agents WHERE id=?");
  read->bind(1, agent_id);
  std::optional<Millis> offset;
  if (read->executeStep() && !read->getColumn(0).isNull()) offset = read->getColumn(0).getInt64();
  read->reset();
  if (!offset) return {std::min(agent_at, received_at), false};
  Millis corrected = 0;
  // A hostile or absurd record time does not overflow: it stands at its receipt.
  if (__builtin_add_overflow(agent_at, *offset, &corrected)) corrected = received_at;
  return {std::min(corrected, received_at), true};
}

Result<std::set<std::int64_t>> AgentClocks::PlaceProvisional(const std::string& agent_id,
                                                             const std::string& member_id,
                                                             Millis offset_ms) {
  // Each statement moves what the record set to where it now stands; a value an officer
  // or a later record changed since (it no longer equals the provisional placement) is
  // left alone.
  static constexpr const char* kProvisional =
      "SELECT seq FROM inbound WHERE agent_id=?2 AND clock_known=0";
  const std::string placed = "MIN(i.recorded_at + ?1, i.received_at)";
  const std::string provisional = "MIN(i.recorded_at, i.received_at)";
  std::set<std::int64_t> deployments;
  SQLite::Statement touched(*db_,
                            std::string("SELECT DISTINCT t.deployment_id FROM findings f JOIN "
                                        "tasks t ON t.id=f.task_id WHERE f.agent_id=?2 AND "
                                        "f.seq IN (") +
                                kProvisional + ")");
  touched.bind(2, agent_id);
  while (touched.executeStep()) deployments.insert(touched.getColumn(0).getInt64());

  const std::string statements[] = {
      std::string("UPDATE findings SET recorded_at=MIN(agent_at + ?1, received_at) WHERE "
                  "agent_id=?2 AND seq IN (") +
          kProvisional + ")",
      "UPDATE tasks SET updated_at=(SELECT " + placed +
          " FROM inbound i WHERE i.agent_id=?2 AND i.seq=tasks.status_seq) WHERE member_id=?3 "
          "AND EXISTS(SELECT 1 FROM inbound i WHERE i.agent_id=?2 AND i.seq=tasks.status_seq "
          "AND i.clock_known=0 AND i.kind='status' AND tasks.updated_at=" +
          provisional + ")",
      "UPDATE checklist_ticks SET recorded_at=(SELECT " + placed +
          " FROM inbound i WHERE i.agent_id=?2 AND i.seq=checklist_ticks.seq) WHERE task_id IN "
          "(SELECT id FROM tasks WHERE member_id=?3) AND EXISTS(SELECT 1 FROM inbound i WHERE "
          "i.agent_id=?2 AND i.seq=checklist_ticks.seq AND i.clock_known=0 AND "
          "checklist_ticks.recorded_at=" +
          provisional + ")",
      "UPDATE timeline SET at=(SELECT " + placed +
          " FROM inbound i WHERE i.agent_id=?2 AND i.seq=timeline.seq) WHERE agent_id=?2 AND "
          "seq IN (" +
          kProvisional + ")",
      "UPDATE positions SET recorded_at=(SELECT " + placed +
          " FROM inbound i WHERE i.agent_id=?2 AND i.seq=positions.seq) WHERE agent_id=?2 AND "
          "seq IN (" +
          kProvisional + ")",
      "UPDATE inbound SET clock_known=1 WHERE agent_id=?2 AND clock_known=0",
  };
  for (const std::string& sql : statements) {
    SQLite::Statement update(*db_, sql);
    // Numbered parameters: a statement that does not use ?1 still has its slot.
    update.bind(1, static_cast<std::int64_t>(offset_ms));
    update.bind(2, agent_id);
    if (update.getBindParameterCount() >= 3) update.bind(3, member_id);
    update.exec();
  }
  for (std::int64_t deployment : deployments) {
    MUSTER_RETURN_IF_ERROR(RebuildLatestValues(deployment));
  }
  return deployments;
}

Status AgentClocks::RebuildLatestValues(std::int64_t deployment_id) {
  auto clear = statements_.Get("DELETE FROM finding_values WHERE deployment_id=?");
  clear->bind(1, deployment_id);
  clear->exec();
  clear->reset();
  // In HQ's order: the newest finding of each field is the last one written.
  auto rebuild = statements_.Get(
      "INSERT OR REPLACE INTO finding_values(deployment_id, key, value, recorded_at) "
      "SELECT t.deployment_id, t.step_id || '.' || j.key, "
      "CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE json_quote(j.value) "
      "END, f.recorded_at FROM findings f JOIN tasks t ON t.id=f.task_id, json_each(f.fields) j "
      "WHERE t.deployment_id=? ORDER BY f.recorded_at, f.id");
  rebuild->bind(1, deployment_id);
  rebuild->exec();
  rebuild->reset();
  return Status::Ok();
}

Status AgentClocks::AlertSkew(const std::string& agent_id, const std::string& member_id,
                              const ClockReport& report) {
  auto read = statements_.Get("SELECT clock_alerted FROM agents WHERE id=?");
  read->bind(1, agent_id);
  read->executeStep();
  const bool alerted = read->getColumn(0).getInt() != 0;
  read->reset();
  const Millis skew = std::llabs(report.offset_ms);
  if (alerted && skew > alert_bound_ms_ / 2) return Status::Ok();
  auto mark = statements_.Get("UPDATE agents SET clock_alerted=? WHERE id=?");
  if (alerted) {  // back within half the bound: the next excursion is told again
    mark->bind(1, 0);
    mark->bind(2, agent_id);
    mark->exec();
    mark->reset();
    return Status::Ok();
  }
  if (skew <= alert_bound_ms_) return Status::Ok();
  auto incident = statements_.Get(
      "SELECT d.incident_id, d.id FROM deployments d JOIN assignments a ON a.deployment_id=d.id "
      "WHERE a.member_id=? AND d.status='active' ORDER BY d.created_at DESC, d.id DESC LIMIT 1");
  incident->bind(1, member_id);
  if (!incident->executeStep()) {
    incident->reset();
    return Status::Ok();  // told once the member is deployed and the agent reports again
  }
  const std::string incident_id = incident->getColumn(0).getString();
  const std::int64_t deployment_id = incident->getColumn(1).getInt64();
  incident->reset();
  MUSTER_RETURN_IF_ERROR(alerts_.Raise(
      incident_id, deployment_id, "clock_skew", "warning",
      member_id + "'s laptop (agent " + agent_id + ") runs " + DescribeSkew(report.offset_ms) +
          " against HQ (within " + std::to_string((report.rtt_ms + 1) / 2) +
          " ms); HQ places its records by HQ's time. Set the laptop's clock (timedatectl, or "
          "the BIOS clock if it resets)",
      agent_id, "clock_skew:" + agent_id + ":" + std::to_string(clock_.Now())));
  mark->bind(1, 1);
  mark->bind(2, agent_id);
  mark->exec();
  mark->reset();
  return Status::Ok();
}

}  // namespace muster::hq
