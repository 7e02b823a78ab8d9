#include "views/incident_markings.h"

namespace muster::hq {

namespace pb = muster::playbook;

IncidentMarkings::IncidentMarkings(const json& board, PlaybookLibrary& playbooks) {
  for (const json& deployment : board["deployments"]) {
    auto book = playbooks.ByHash(deployment["playbook"]["hash"]);
    if (!book.ok()) {
      playbooks_ = pb::kMostRestrictive;
      unreadable_.insert("d" + std::to_string(deployment["id"].get<std::int64_t>()) + ".");
      continue;
    }
    playbooks_ = pb::Raise(playbooks_, (*book)->marking);
    for (const pb::Step& step : (*book)->steps) {
      playbooks_ = pb::Raise(playbooks_, (*book)->MarkingOf(step));
    }
  }
}

pb::Marking IncidentMarkings::OfFinding(const json& finding) const {
  // Tasks are named "d3.step.member" after their deployment.
  const std::string task = finding["task"];
  if (unreadable_.count(task.substr(0, task.find('.') + 1))) return pb::kMostRestrictive;
  return pb::StoredMarking(finding["marking"].get<std::string>());
}

pb::Marking IncidentMarkings::Highest(const json& findings) const {
  pb::Marking highest = playbooks_;
  for (const json& finding : findings) highest = pb::Raise(highest, OfFinding(finding));
  return highest;
}

}  // namespace muster::hq
