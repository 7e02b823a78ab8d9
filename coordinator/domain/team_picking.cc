#include "domain/team_picking.h"

#include <algorithm>
#include <tuple>

namespace muster::hq {
namespace {

// The qualifications |role| asks for that |candidate| does not hold.
std::vector<std::string> Missing(const playbook::Role& role, const Candidate& candidate) {
  std::vector<std::string> missing;
  for (const std::string& qualification : role.qualifications) {
    if (!candidate.qualifications.count(qualification)) missing.push_back(qualification);
  }
  return missing;
}

// Whether |candidate| may fill |role|: their roster roles name it, or they hold every
// qualification it asks for.
bool Fits(const playbook::Role& role, const Candidate& candidate) {
  const bool qualified = !role.qualifications.empty() && Missing(role, candidate).empty();
  return qualified || candidate.roles.count(role.id) > 0;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

// The officer's assignments, checked against the playbook and the roster.
Result<TeamByRole> Assigned(const playbook::Playbook& book, const Candidates& roster,
                            const TeamByRole& assign) {
  TeamByRole team;
  for (const auto& [role, members] : assign) {
    if (book.FindRole(role) == nullptr) {
      std::string known;
      for (const auto& r : book.roles) known += (known.empty() ? "" : ", ") + r.id;
      return Status::Error(ErrorCode::kInvalidArgument, "playbook " + book.id + " has no role '" +
                                                            role + "'; its roles are: " + known);
    }
    for (const std::string& member : members) {
      if (std::find(team[role].begin(), team[role].end(), member) != team[role].end()) continue;
      if (!roster.count(member)) {
        return Status::Error(ErrorCode::kNotFound, "no member '" + member + "' (role " + role +
                                                       "); add one with: muster member add " +
                                                       member);
      }
      team[role].push_back(member);
    }
  }
  return team;
}

// Fills the roles |team| leaves empty from the roster; returns the roles filled so.
std::vector<std::string> FillFromRoster(const playbook::Playbook& book, const Candidates& roster,
                                        TeamByRole& team) {
  std::vector<std::string> automatic;
  std::set<std::string> on_team;
  for (const auto& [role, members] : team) on_team.insert(members.begin(), members.end());
  for (const playbook::Role& role : book.roles) {
    if (team.count(role.id)) continue;
    std::vector<const Candidate*> eligible;
    for (const auto& [id, candidate] : roster) {
      if (candidate.has_agent && Fits(role, candidate)) eligible.push_back(&candidate);
    }
    const auto rank = [&](const Candidate* candidate) {
      return std::make_tuple(!Missing(role, *candidate).empty(), candidate->busy,
                             on_team.count(candidate->id) > 0);
    };
    std::stable_sort(eligible.begin(), eligible.end(),
                     [&](const Candidate* a, const Candidate* b) { return rank(a) < rank(b); });
    for (const Candidate* candidate : eligible) {
      if (static_cast<int>(team[role.id].size()) >= role.count) break;
      team[role.id].push_back(candidate->id);
      on_team.insert(candidate->id);
    }
    if (!team[role.id].empty()) automatic.push_back(role.id);
  }
  return automatic;
}

// unassigned_role naming every required role left empty and why, or Ok.
Status CheckRequiredRoles(const playbook::Playbook& book, const Candidates& roster,
                          TeamByRole& team) {
  std::vector<std::string> empty_roles;
  for (const playbook::Role& role : book.roles) {
    if (!role.required || !team[role.id].empty()) continue;
    std::vector<std::string> unenrolled;  // would do, but have no agent to receive tasks
    for (const auto& [id, candidate] : roster) {
      if (!candidate.has_agent && Fits(role, candidate)) unenrolled.push_back(candidate.id);
    }
    empty_roles.push_back(
        role.id +
        (!unenrolled.empty() ? " (without an enrolled agent: " + JoinWords(unenrolled) + ")"
         : role.qualifications.empty() ? " (no member lists this role)"
                                       : " (nobody holds " + JoinWords(role.qualifications) + ")"));
  }
  if (empty_roles.empty()) return Status::Ok();
  const std::string first = empty_roles.front().substr(0, empty_roles.front().find(' '));
  return Status::Error(ErrorCode::kUnassignedRole,
                       "required role(s) left empty: " + JoinWords(empty_roles) +
                           "; assign with --assign " + first + "=MEMBER");
}

}  // namespace

Result<TeamPick> PickTeam(const playbook::Playbook& book, const Candidates& roster,
                          const TeamByRole& assign) {
  Result<TeamByRole> assigned = Assigned(book, roster, assign);
  if (!assigned.ok()) return assigned.status();
  TeamPick pick;
  pick.team = std::move(assigned).value();
  pick.automatic = FillFromRoster(book, roster, pick.team);
  for (const auto& [role, members] : pick.team) {
    for (const std::string& member : members) {
      const std::vector<std::string> missing = Missing(*book.FindRole(role), roster.at(member));
      if (missing.empty()) continue;
      pick.unqualified[role][member] = missing;
      pick.gaps += (pick.gaps.empty() ? "" : "; ") + member + " lacks " + JoinWords(missing) +
                   " for " + role;
    }
  }
  MUSTER_RETURN_IF_ERROR(CheckRequiredRoles(book, roster, pick.team));
  for (const auto& [role, members] : pick.team) {
    for (const std::string& member : members) {
      if (!roster.at(member).has_agent) {
        return Status::Error(ErrorCode::kNoAgent, "member '" + member +
                                                      "' has no enrolled agent; run: muster agent "
                                                      "enroll " +
                                                      member + " --out BUNDLE");
      }
    }
  }
  return pick;
}

}  // namespace muster::hq
