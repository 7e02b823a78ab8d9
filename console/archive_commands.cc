#include "archive_commands.h"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "muster/digest.h"
#include "muster/display.h"
#include "muster/files.h"
#include "muster/playbook/marking.h"

namespace muster::console {
namespace {

namespace fs = std::filesystem;

Status Damaged(const std::string& message) {
  return Status::Error(ErrorCode::kDamaged,
                       message + "; nothing was written: run the export again, and tell HQ's "
                                 "administrator if it recurs");
}

// Writes one file of the archive under |root|, making its folders.
Status WritePart(const fs::path& root, const std::string& path, const std::string& content) {
  const fs::path target = root / path;
  MUSTER_RETURN_IF_ERROR(EnsureDirectory(target.parent_path().string(), 0700));
  return WriteFileAtomic(target.string(), content, 0600);
}

// Removes a half-written folder unless told it was moved into place.
class PartialFolder {
 public:
  explicit PartialFolder(fs::path path) : path_(std::move(path)) {}
  ~PartialFolder() {
    if (!kept_) {
      std::error_code ignored;
      fs::remove_all(path_, ignored);
    }
  }
  PartialFolder(const PartialFolder&) = delete;
  PartialFolder& operator=(const PartialFolder&) = delete;
  const fs::path& path() const { return path_; }
  void Keep() { kept_ = true; }

 private:
  fs::path path_;
  bool kept_ = false;
};

// |answer| is taken by value: a field HQ left out reads as null, never as undefined.
Result<ArchiveWritten> WriteFetched(ApiClient& api, json answer, const std::string& out) {
  if (!answer.is_object() || !answer["manifest"].is_string() || !answer["parts"].is_object() ||
      !answer["attachments"].is_array() || !answer["signature"].is_object()) {
    return Damaged("HQ's answer is not an archive");
  }
  const std::string manifest_text = answer["manifest"];
  Result<archive::Manifest> manifest =
      archive::Manifest::Decode(json::parse(manifest_text, nullptr, false));
  if (!manifest.ok()) return Damaged("HQ's manifest: " + manifest.status().message());
  Result<archive::ManifestSignature> signature =
      archive::ManifestSignature::Decode(answer["signature"]);
  if (!signature.ok()) return Damaged("HQ's signature: " + signature.status().message());
  std::map<std::string, const archive::ArchiveFile*> listed;
  for (const archive::ArchiveFile& file : manifest->files) {
    if (!archive::IsSafeArchivePath(file.path)) {
      return Damaged("HQ's manifest names a file outside the archive's rules ('" +
                     ForTerminal(file.path) + "')");
    }
    listed[file.path] = &file;
  }
  const auto check = [&](const std::string& path, const std::string& content) -> Status {
    const auto entry = listed.find(path);
    if (entry == listed.end()) {
      return Damaged("HQ sent " + ForTerminal(path) + ", which its manifest does not list");
    }
    if (Sha256Hex(content) != entry->second->sha256 ||
        static_cast<std::int64_t>(content.size()) != entry->second->bytes) {
      return Damaged(path + " does not match the manifest (" + std::to_string(content.size()) +
                     " bytes received, " + std::to_string(entry->second->bytes) + " listed)");
    }
    listed.erase(entry);
    return Status::Ok();
  };

  const fs::path target(out);
  PartialFolder partial(target.parent_path() /
                        (target.filename().string() + ".partial-" + RandomHex(4)));
  std::error_code error;
  if (!fs::create_directory(partial.path(), error)) {
    return Status::Error(ErrorCode::kIoError, "cannot make " + partial.path().string() + ": " +
                                                  error.message() + "; check --out's folder");
  }
  fs::permissions(partial.path(), fs::perms::owner_all, error);
  ArchiveWritten written;
  for (const auto& [path, content] : answer["parts"].items()) {
    if (!content.is_string()) return Damaged("HQ's part " + ForTerminal(path) + " is not text");
    MUSTER_RETURN_IF_ERROR(check(path, content.get<std::string>()));
    MUSTER_RETURN_IF_ERROR(WritePart(partial.path(), path, content.get<std::string>()));
    written.bytes += static_cast<std::int64_t>(content.get<std::string>().size());
  }
  for (json& file : answer["attachments"]) {
    if (!file.is_object() || !file["id"].is_number_integer() || !file["path"].is_string()) {
      return Damaged("HQ's list of attachments is malformed");
    }
    const std::string path = file["path"];
    Result<std::string> content =
        api.GetBytes("/v1/attachments/" + std::to_string(file["id"].get<std::int64_t>()) +
                     "/content");
    if (!content.ok()) return content.status();
    MUSTER_RETURN_IF_ERROR(check(path, *content));
    MUSTER_RETURN_IF_ERROR(WritePart(partial.path(), path, *content));
    written.bytes += static_cast<std::int64_t>(content->size());
  }
  if (!listed.empty()) {
    return Damaged("HQ's manifest lists " + ForTerminal(listed.begin()->first) +
                   ", which HQ did not send");
  }
  const std::string signature_text = signature->Encode().dump(2) + "\n";
  MUSTER_RETURN_IF_ERROR(WritePart(partial.path(), archive::kManifestName, manifest_text));
  MUSTER_RETURN_IF_ERROR(WritePart(partial.path(), archive::kSignatureName, signature_text));
  written.bytes += static_cast<std::int64_t>(manifest_text.size() + signature_text.size());

  // What a partner will run, run here first: the folder as written checks out.
  Result<archive::Verdict> verdict = archive::VerifyFolder(partial.path().string(),
                                                           signature->public_key);
  if (!verdict.ok()) return verdict.status();
  if (!verdict->valid()) return Damaged("the written archive does not check: " +
                                        verdict->problems.front());
  // Never onto a folder that appeared meanwhile.
  if (::renameat2(AT_FDCWD, partial.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) !=
      0) {
    return Status::Error(ErrorCode::kIoError, "cannot move the archive to " + out + ": " +
                                                  std::strerror(errno));
  }
  partial.Keep();
  written.folder = out;
  written.manifest = std::move(*manifest);
  written.key_id = signature->key_id;
  return written;
}

json VerdictJson(const std::string& dir, const archive::Verdict& verdict) {
  json out = {{"folder", dir},
              {"valid", verdict.valid()},
              {"key_id", verdict.key_id},
              {"signed_by_trusted_key", verdict.signed_by_trusted_key},
              {"files_checked", verdict.files_checked},
              {"problems", verdict.problems}};
  if (verdict.manifest) out["manifest"] = verdict.manifest->Encode();
  return out;
}

std::string WithheldLine(const archive::Withheld& withheld) {
  std::string line = "findings " + std::to_string(withheld.findings) + ", attachments " +
                     std::to_string(withheld.attachments) + ", records about persons of interest " +
                     std::to_string(withheld.watchlist);
  if (!withheld.parts.empty()) {
    line += ", whole parts:";
    for (const std::string& part : withheld.parts) line += " " + part;
  }
  return line;
}

void PrintSummary(std::ostream& out, const archive::Manifest& manifest) {
  if (manifest.exercise) out << "EXERCISE EXERCISE EXERCISE\n";
  out << "Incident " << ForTerminal(manifest.incident) << ", archived "
      << ForTerminal(manifest.created_at) << " by " << ForTerminal(manifest.created_by) << "\n"
      << "Releasable to: "
      << (manifest.releasable.empty() ? std::string("everything HQ holds")
                                      : ForTerminal(manifest.releasable))
      << "; marked " << (manifest.marking.empty() ? "-" : ForTerminal(manifest.marking)) << "\n"
      << "Withheld: " << WithheldLine(manifest.withheld) << "\n";
}

}  // namespace

Result<ArchiveWritten> FetchArchive(ApiClient& api, const std::string& incident,
                                    const std::string& releasable, const std::string& out) {
  std::string folder = out;
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  std::error_code error;
  if (folder.empty() || fs::exists(fs::symlink_status(folder, error))) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--out " + out + " exists; name a new folder for the archive");
  }
  json body = json::object();
  if (!releasable.empty()) body["releasable"] = releasable;
  Result<json> answer = api.Post("/v1/incidents/" + UrlEncode(incident) + "/archive", body);
  if (!answer.ok()) return answer.status();
  return WriteFetched(api, std::move(answer).value(), folder);
}

Result<std::string> TrustedKey(const std::string& given) {
  std::string text = given;
  std::error_code error;
  if (fs::is_regular_file(given, error)) {
    Result<std::string> content = ReadFile(given, 4096);
    if (!content.ok()) return content.status();
    const json parsed = json::parse(*content, nullptr, false);
    if (parsed.is_object() && parsed.contains("public_key") && parsed["public_key"].is_string()) {
      text = parsed["public_key"];
    } else {
      text = content->substr(0, content->find_first_of("\r\n"));
    }
  }
  if (!ed25519::KeyIdOf(text).ok()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--key is neither HQ's archive public key (44 characters of base64) "
                         "nor a file holding it; get it from HQ with `muster archive key`");
  }
  return text;
}

int VerifyArchiveCommand(const std::string& dir, const std::string& key, bool json_output,
                         std::ostream& out, std::ostream& err) {
  const auto fail = [&](const Status& status) {
    return Refuse(status, json_output, out, err,
                  status.code() == ErrorCode::kInvalidArgument ? 2 : 1);
  };
  Result<std::string> trusted = TrustedKey(key);
  if (!trusted.ok()) return fail(trusted.status());
  Result<archive::Verdict> verdict = archive::VerifyFolder(dir, *trusted);
  if (!verdict.ok()) return fail(verdict.status());
  if (json_output) {
    // Names from the folder may be anything; the problems carry them escaped, and the dump
    // replaces whatever else is not UTF-8.
    out << VerdictJson(dir, *verdict).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return verdict->valid() ? 0 : 1;
  }
  if (verdict->manifest) PrintSummary(out, *verdict->manifest);
  out << "Signed by key " << ForTerminal(verdict->key_id)
      << (verdict->signed_by_trusted_key ? " (the key given): good" : ": NOT the key given")
      << "\n"
      << verdict->files_checked << " file(s) checked\n";
  if (verdict->valid()) {
    out << "VALID: every file is as HQ signed it\n";
    return 0;
  }
  out << "NOT VALID:\n";
  for (const std::string& problem : verdict->problems) out << "  " << ForTerminal(problem) << "\n";
  return 1;
}

void RegisterArchiveCommands(CLI::App& app, CLI::App& exports, Context& context) {
  struct Options {
    std::string incident;
    std::string releasable;
    std::string out;
    std::string folder;
    std::string key;
  };
  auto options = std::make_shared<Options>();
  auto* fetch = exports.add_subcommand(
      "archive", "the whole incident as a signed folder a partner can check offline");
  fetch->add_option("INCIDENT", options->incident, "the incident")->required();
  fetch->add_option("--out", options->out, "the new folder to write")->required();
  fetch->add_option("--releasable", options->releasable,
                    "only what a partner cleared for this marking may see, e.g. TLP:GREEN");
  fetch->callback([&context, options] {
    if (!options->releasable.empty() && !playbook::ParseMarking(options->releasable)) {
      Fail(context, Status::Error(ErrorCode::kInvalidArgument,
                                  "--releasable " + options->releasable +
                                      " is not a marking; e.g. TLP:GREEN or RESTRICTED"));
    }
    auto api = Connect(context);
    if (!api.ok()) Fail(context, api.status());
    Result<ArchiveWritten> written =
        FetchArchive(*api, options->incident, options->releasable, options->out);
    if (!written.ok()) Fail(context, written.status());
    Answer(context,
           json{{"folder", written->folder},
                {"key_id", written->key_id},
                {"bytes", written->bytes},
                {"manifest", written->manifest.Encode()}},
           [&](const json&) {
             PrintSummary(std::cout, written->manifest);
             std::cout << "Wrote " << written->manifest.files.size() + 2 << " files ("
                       << written->bytes << " bytes) to " << ForTerminal(written->folder)
                       << ", signed by HQ key " << written->key_id
                       << "\nThe partner checks it with: muster archive verify "
                       << ForTerminal(written->folder) << " --key HQ-ARCHIVE-KEY\n";
           });
  });

  auto* group = app.add_subcommand("archive", "signed incident archives");
  group->require_subcommand(1);
  auto* verify = group->add_subcommand(
      "verify", "check an archive folder against HQ's public key, offline");
  verify->add_option("DIR", options->folder, "the archive's folder")->required();
  verify->add_option("--key", options->key,
                     "HQ's archive public key (base64), or a file holding it")
      ->required();
  verify->callback([&context, options] {
    const int status =
        VerifyArchiveCommand(options->folder, options->key, context.json, std::cout, std::cerr);
    if (status != 0) throw CLI::RuntimeError(status);
  });
  auto* key = group->add_subcommand("key", "HQ's archive public key, to give partners");
  key->add_option("--out", options->out, "also write it to this file for partners");
  key->callback([&context, options] {
    Result<json> answer = ApiGet(context, "/v1/archive/key");
    if (answer.ok() && !options->out.empty()) {
      json file = {{"kind", "muster-archive-public-key"},
                   {"key_id", answer->value("key_id", "")},
                   {"public_key", answer->value("public_key", "")}};
      Status written = WriteFileAtomic(options->out, file.dump(2) + "\n", 0644);
      if (!written.ok()) answer = written;
    }
    Answer(context, answer, [&](const json& found) {
      std::cout << "HQ's archive public key (key id " << Text(found.value("key_id", json()))
                << "):\n" << Text(found.value("public_key", json())) << "\n";
      if (!options->out.empty()) std::cout << "written to " << ForTerminal(options->out) << "\n";
    });
  });
}

}  // namespace muster::console
