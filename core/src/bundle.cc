#include "muster/bundle.h"

#include <nlohmann/json.hpp>

#include "muster/files.h"
#include "muster/keys.h"

namespace muster {

using nlohmann::json;

namespace {
constexpr char kSealedPrefix[] = "sealed:";
}  // namespace

std::string BundleToJson(const Bundle& bundle) {
  return json{{"format", "muster-bundle/1"},
              {"agent_id", bundle.agent_id},
              {"member_id", bundle.member_id},
              {"endpoint", bundle.endpoint},
              {"server_public_key", bundle.server_public_key},
              {"public_key", bundle.public_key},
              {"secret_key", bundle.sealed_secret_key.empty()
                                 ? bundle.secret_key
                                 : kSealedPrefix + bundle.sealed_secret_key},
              {"hq_id", bundle.hq_id}}
      .dump(2);
}

Result<Bundle> ParseBundle(const std::string& text) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  // Not parsed.value("format", ""): it throws when "format" holds a non-string.
  const auto format = parsed.is_object() ? parsed.find("format") : parsed.end();
  if (!parsed.is_object() || format == parsed.end() || *format != "muster-bundle/1") {
    return Status::Error(ErrorCode::kInvalidBundle,
                         "not a Muster enrolment bundle; make one with: muster agent enroll "
                         "MEMBER --out FILE");
  }
  Bundle bundle;
  for (auto [name, target] :
       {std::pair{"agent_id", &bundle.agent_id}, std::pair{"member_id", &bundle.member_id},
        std::pair{"endpoint", &bundle.endpoint},
        std::pair{"server_public_key", &bundle.server_public_key},
        std::pair{"public_key", &bundle.public_key}, std::pair{"secret_key", &bundle.secret_key},
        std::pair{"hq_id", &bundle.hq_id}}) {
    auto it = parsed.find(name);
    if (it == parsed.end() || !it->is_string() || it->get<std::string>().empty()) {
      return Status::Error(ErrorCode::kInvalidBundle,
                           std::string("the bundle lacks '") + name + "'");
    }
    *target = it->get<std::string>();
  }
  if (bundle.secret_key.rfind(kSealedPrefix, 0) == 0) {
    bundle.sealed_secret_key = bundle.secret_key.substr(sizeof kSealedPrefix - 1);
    bundle.secret_key.clear();
  }
  for (const std::string* key : {&bundle.server_public_key, &bundle.public_key,
                                 &bundle.secret_key}) {
    if (key->empty() && key == &bundle.secret_key) continue;  // sealed
    if (!IsValidZ85Key(*key)) {
      return Status::Error(ErrorCode::kInvalidBundle, "the bundle holds a damaged key");
    }
  }
  return bundle;
}

Result<Bundle> ReadBundleFile(const std::string& path) {
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(path));
  Result<std::string> text = ReadFile(path, 64 * 1024);
  if (!text.ok()) return text.status();
  return ParseBundle(*text);
}

}  // namespace muster
