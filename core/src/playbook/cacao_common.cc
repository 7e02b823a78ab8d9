#include "cacao_common.h"

#include "muster/digest.h"
#include "muster/playbook/cacao.h"

namespace muster::playbook::cacao {

std::string Note::ToString() const { return path + ": " + message; }

std::string DerivedId(std::string_view kind, std::string_view seed) {
  std::string hex = Sha256Hex(seed).substr(0, 32);
  hex[12] = '5';  // version
  static constexpr char kVariant[] = "89ab";
  hex[16] = kVariant[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3];
  return std::string(kind) + "--" + hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" +
         hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string MusterExtensionId() {
  return DerivedId("extension-definition", "muster:extension:playbook");
}

std::string PathKey(const std::string& path, std::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_');
  }
  if (plain) return path + "." + std::string(key);
  std::string quoted;
  for (char c : key) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return path + "['" + quoted + "']";
}

std::string PathIndex(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string VariableName(std::string_view id) { return "__" + std::string(id) + "__"; }

std::string DurationText(std::int64_t ms) {
  std::int64_t seconds = (ms + 999) / 1000;
  std::string text;
  for (const auto& [unit, size] : {std::pair{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}) {
    if (seconds >= size) {
      text += std::to_string(seconds / size) + unit;
      seconds %= size;
    }
  }
  return text;
}


std::string TlpMarkingId(Tlp tlp) {
  switch (tlp) {
    case Tlp::kNone:
      return "";
    case Tlp::kClear:
      return "marking-tlp--94868c89-83c2-464b-929b-a1a8aa3c8487";
    case Tlp::kGreen:
      return "marking-tlp--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
    case Tlp::kAmber:
      return "marking-tlp--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    case Tlp::kAmberStrict:
      return "marking-tlp--939a9414-2ddd-4d32-a0cd-375ea402b003";
    case Tlp::kRed:
      return "marking-tlp--e828b379-4e03-4974-9ac4-e53a884c97c1";
  }
  return "";
}

}  // namespace muster::playbook::cacao
