#include "muster/playbook/marking.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace muster::playbook {
namespace {

constexpr std::array<std::pair<std::string_view, Tlp>, 5> kTlpNames = {{
    {"TLP:CLEAR", Tlp::kClear},
    {"TLP:GREEN", Tlp::kGreen},
    {"TLP:AMBER", Tlp::kAmber},
    {"TLP:AMBER+STRICT", Tlp::kAmberStrict},
    {"TLP:RED", Tlp::kRed},
}};
constexpr std::array<std::pair<std::string_view, Classification>, 4> kClassificationNames = {{
    {"UNCLASSIFIED", Classification::kUnclassified},
    {"RESTRICTED", Classification::kRestricted},
    {"CONFIDENTIAL", Classification::kConfidential},
    {"SECRET", Classification::kSecret},
}};
constexpr const char* kAccepted =
    "write a TLP label (TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED) and/or a "
    "classification (UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET), e.g. "
    "\"RESTRICTED // TLP:AMBER\"";

std::string Upper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper;
}

// The words of |text|, split at spaces and "//".
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const bool end = i == text.size();
    const bool slashes = !end && text.substr(i, 2) == "//";
    if (end || slashes || std::isspace(static_cast<unsigned char>(text[i]))) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      if (slashes) ++i;
      continue;
    }
    word += text[i];
  }
  return words;
}

bool Fail(std::string* error, std::string message) {
  if (error) *error = std::move(message) + "; " + kAccepted;
  return false;
}

}  // namespace

std::optional<Marking> ParseMarking(std::string_view text, std::string* error) {
  Marking marking;
  const std::vector<std::string> words = Words(text);
  if (words.empty()) {
    Fail(error, "the marking is empty");
    return std::nullopt;
  }
  for (const std::string& word : words) {
    const std::string upper = Upper(word);
    const auto tlp = std::find_if(kTlpNames.begin(), kTlpNames.end(),
                                  [&](const auto& entry) { return entry.first == upper; });
    const auto cls =
        std::find_if(kClassificationNames.begin(), kClassificationNames.end(),
                     [&](const auto& entry) { return entry.first == upper; });
    if (tlp != kTlpNames.end()) {
      if (marking.tlp != Tlp::kNone) {
        Fail(error, "the marking gives two TLP labels");
        return std::nullopt;
      }
      marking.tlp = tlp->second;
    } else if (cls != kClassificationNames.end()) {
      if (marking.classification != Classification::kNone) {
        Fail(error, "the marking gives two classifications");
        return std::nullopt;
      }
      marking.classification = cls->second;
    } else {
      Fail(error, "'" + word + "' is not a marking");
      return std::nullopt;
    }
  }
  return marking;
}

std::string ToString(Tlp tlp) {
  for (const auto& [name, value] : kTlpNames) {
    if (value == tlp) return std::string(name);
  }
  return "";
}

std::string ToString(const Marking& marking) {
  std::string text;
  for (const auto& [name, value] : kClassificationNames) {
    if (value == marking.classification) text = std::string(name);
  }
  const std::string tlp = ToString(marking.tlp);
  if (!tlp.empty()) text += (text.empty() ? "" : " // ") + tlp;
  return text;
}

Marking StoredMarking(std::string_view text) {
  if (text.empty()) return {};
  return ParseMarking(text).value_or(kMostRestrictive);
}

Marking Raise(const Marking& a, const Marking& b) {
  return {std::max(a.tlp, b.tlp), std::max(a.classification, b.classification)};
}

bool ReleasableAt(const Marking& marking, const Marking& limit) {
  return (marking.tlp == Tlp::kNone || marking.tlp <= limit.tlp) &&
         (marking.classification == Classification::kNone ||
          marking.classification <= limit.classification);
}

bool Lowers(const Marking& marking, const Marking& floor) {
  return (marking.tlp != Tlp::kNone && marking.tlp < floor.tlp) ||
         (marking.classification != Classification::kNone &&
          marking.classification < floor.classification);
}

}  // namespace muster::playbook
