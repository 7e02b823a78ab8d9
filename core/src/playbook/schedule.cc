#include "muster/playbook/schedule.h"

#include <algorithm>
#include <charconv>

namespace muster::playbook {
namespace {

constexpr const char* kEscalationPrefix = "escalate:";

std::optional<long long> WholeNumber(std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  return value;
}

}  // namespace

std::string OccurrenceId(const std::string& base_task, int number) {
  return number <= 1 ? base_task : base_task + "#" + std::to_string(number);
}

std::optional<OccurrenceRef> ParseOccurrence(const std::string& task_id) {
  const std::size_t hash = task_id.rfind('#');
  if (hash == std::string::npos) return OccurrenceRef{task_id, 1};
  const auto number = WholeNumber(std::string_view(task_id).substr(hash + 1));
  if (!number || *number < 2 || *number > kMaxOccurrences || hash == 0) return std::nullopt;
  return OccurrenceRef{task_id.substr(0, hash), static_cast<int>(*number)};
}

OccurrenceTimes OccurrenceAt(const Step& step, Millis first_ready, int number) {
  OccurrenceTimes times;
  times.opens_at = first_ready + static_cast<Millis>(std::max(number, 1) - 1) * step.every_ms;
  times.due_at = times.opens_at + (step.due_in_ms > 0 ? step.due_in_ms : step.every_ms);
  return times;
}

int OccurrencesOpen(const Step& step, Millis first_ready, Millis now) {
  if (step.every_ms <= 0 || now < first_ready) return 1;
  const Millis periods = (now - first_ready) / step.every_ms;
  const Millis limit = step.times > 0 ? std::min(step.times, kMaxOccurrences) : kMaxOccurrences;
  return static_cast<int>(std::clamp<Millis>(periods + 1, 1, limit));
}

std::string EscalationId(const std::string& task_id, std::size_t index) {
  return kEscalationPrefix + task_id + ":" + std::to_string(index);
}

std::optional<EscalationRef> ParseEscalationId(const std::string& id) {
  const std::string_view prefix = kEscalationPrefix;
  if (id.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::size_t colon = id.rfind(':');
  if (colon <= prefix.size()) return std::nullopt;
  const auto index = WholeNumber(std::string_view(id).substr(colon + 1));
  if (!index || *index < 0) return std::nullopt;
  return EscalationRef{id.substr(prefix.size(), colon - prefix.size()),
                       static_cast<std::size_t>(*index)};
}

std::vector<DueEscalation> DueEscalations(const Step& step, const std::string& task_id,
                                          const std::string& state, std::optional<Millis> due_at,
                                          Millis now, const std::set<std::string>& already_fired) {
  const bool open = state != "completed" && state != "cancelled" && state != "reassigned";
  std::vector<DueEscalation> due;
  for (std::size_t i = 0; i < step.escalate.size(); ++i) {
    const Escalation& escalation = step.escalate[i];
    const bool reached = escalation.when == EscalateWhen::kBlocked
                             ? state == "blocked"
                             : open && due_at && now > *due_at + escalation.after_ms;
    if (!reached) continue;
    std::string id = EscalationId(task_id, i);
    if (already_fired.count(id) == 0) due.push_back({std::move(id), i});
  }
  return due;
}

}  // namespace muster::playbook
