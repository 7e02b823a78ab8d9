#include "muster/playbook/model.h"

namespace muster::playbook {

const Step* Playbook::FindStep(const std::string& step_id) const {
  for (const Step& step : steps) {
    if (step.id == step_id) return &step;
  }
  return nullptr;
}

const Role* Playbook::FindRole(const std::string& role_id) const {
  for (const Role& role : roles) {
    if (role.id == role_id) return &role;
  }
  return nullptr;
}

bool WaitsForEmptyRole(const Playbook& playbook, const std::string& step_id) {
  const Step* step = playbook.FindStep(step_id);
  const Role* role = step == nullptr ? nullptr : playbook.FindRole(step->role);
  return role != nullptr && !role->required && role->when_empty == WhenEmpty::kWait;
}

const char* ToString(Hazard hazard) {
  switch (hazard) {
    case Hazard::kChemical:
      return "chemical";
    case Hazard::kBiological:
      return "biological";
    case Hazard::kRadiological:
      return "radiological";
    case Hazard::kNuclear:
      return "nuclear";
    case Hazard::kExplosive:
      return "explosive";
  }
  return "?";
}

const char* ToString(ReportRole role) {
  switch (role) {
    case ReportRole::kNone:
      return "";
    case ReportRole::kMaterial:
      return "material";
    case ReportRole::kQuantity:
      return "quantity";
    case ReportRole::kOrigin:
      return "origin";
    case ReportRole::kTransit:
      return "transit";
    case ReportRole::kDestination:
      return "destination";
    case ReportRole::kMethod:
      return "method";
  }
  return "?";
}

const char* ToString(FieldType type) {
  switch (type) {
    case FieldType::kNumber:
      return "number";
    case FieldType::kText:
      return "text";
    case FieldType::kEnum:
      return "enum";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kTime:
      return "time";
    case FieldType::kGeolocation:
      return "geolocation";
    case FieldType::kSampleId:
      return "sample_id";
    case FieldType::kAttachment:
      return "attachment";
    case FieldType::kPerson:
      return "person";
  }
  return "?";
}

const char* ToString(Priority priority) {
  switch (priority) {
    case Priority::kLow:
      return "low";
    case Priority::kNormal:
      return "normal";
    case Priority::kHigh:
      return "high";
    case Priority::kCritical:
      return "critical";
  }
  return "?";
}

const char* ToString(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "string";
    case ParamType::kNumber:
      return "number";
    case ParamType::kBoolean:
      return "boolean";
    case ParamType::kDuration:
      return "duration";
  }
  return "?";
}

const char* ToString(ActionKind kind) {
  switch (kind) {
    case ActionKind::kActivate:
      return "activate";
    case ActionKind::kAlert:
      return "alert";
    case ActionKind::kNotify:
      return "notify";
    case ActionKind::kStandDown:
      return "stand_down";
  }
  return "?";
}

const char* ToString(Completion completion) {
  return completion == Completion::kAll ? "all" : "any";
}

const char* ToString(EscalateWhen when) {
  return when == EscalateWhen::kOverdue ? "overdue" : "blocked";
}

}  // namespace muster::playbook
