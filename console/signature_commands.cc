#include "signature_commands.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "muster/files.h"
#include "muster/playbook/load.h"
#include "muster/private_file.h"
#include "table.h"

namespace muster::console {
namespace {

namespace pb = muster::playbook;
using nlohmann::json;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// The playbook in |file|, which must pass lint; its diagnostics go to |err| otherwise.
Result<pb::Playbook> LoadLinted(const std::string& file, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return Status::Error(ErrorCode::kInvalidArgument, file + ": no such file");
  }
  pb::LoadResult loaded = pb::LoadFile(file);
  if (!loaded.ok()) {
    for (const auto& diagnostic : loaded.diagnostics) err << diagnostic.ToString() << "\n";
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         file + " does not pass lint (muster playbook lint " + file +
                             "); only a valid playbook is signed or checked");
  }
  return std::move(*loaded.playbook);
}

Result<pb::AuthorKey> ReadKeyFile(const std::string& path) {
  if (Status private_file = CheckPrivateFile(path); !private_file.ok()) return private_file;
  auto text = ReadFile(path, 1 << 16);
  if (!text.ok()) return text.status();
  auto key = pb::AuthorKey::Decode(json::parse(*text, nullptr, false));
  if (!key.ok()) return Status::Error(key.status().code(), path + ": " + key.status().message());
  return key;
}

}  // namespace

std::string SignaturePathFor(const std::string& playbook_file) { return playbook_file + ".sig"; }

Result<pb::Signature> ReadSignatureFile(const std::string& path) {
  auto text = ReadFile(path, 1 << 16);
  if (!text.ok()) return text.status();
  auto signature = pb::Signature::Decode(json::parse(*text, nullptr, false));
  if (!signature.ok()) {
    return Status::Error(signature.status().code(), path + ": " + signature.status().message());
  }
  return signature;
}

int KeygenCommand(const std::string& author, const std::string& key_path, bool json_output,
                  std::ostream& out, std::ostream& err) {
  if (author.empty() || key_path.empty()) {
    return Refuse(Status::Error(ErrorCode::kInvalidArgument,
                                "usage: muster playbook keygen --author NAME --out KEYFILE"),
                  json_output, out, err, kExitUsage);
  }
  auto key = pb::GenerateAuthorKey(author);
  if (!key.ok()) return Refuse(key.status(), json_output, out, err, kExitUsage);
  const std::string content = key->Encode().dump(2) + "\n";
  auto file = PrivateFile::Reserve(key_path, false, "--out", content.size());
  if (!file.ok()) return Refuse(file.status(), json_output, out, err);
  if (Status written = file->Commit(content); !written.ok()) {
    return Refuse(written, json_output, out, err);
  }
  if (json_output) {
    out << json{{"author", key->author},
                {"key_id", key->key_id},
                {"public_key", key->public_key},
                {"key_file", key_path}}
               .dump(2)
        << "\n";
    return 0;
  }
  out << "key " << key->key_id << " of " << author << " written to " << key_path
      << " (mode 0600: keep it to yourself)\n"
      << "public key: " << key->public_key << "\n"
      << "an HQ administrator trusts it with:\n"
      << "  muster author add " << author << " --key " << key->public_key << "\n";
  return 0;
}

int SignCommand(const std::string& file, const std::string& key_path, bool json_output,
                std::ostream& out, std::ostream& err) {
  if (file.empty() || key_path.empty()) {
    return Refuse(Status::Error(ErrorCode::kInvalidArgument,
                                "usage: muster playbook sign FILE --key KEYFILE"),
                  json_output, out, err, kExitUsage);
  }
  auto book = LoadLinted(file, err);
  if (!book.ok()) return Refuse(book.status(), json_output, out, err);
  auto key = ReadKeyFile(key_path);
  if (!key.ok()) return Refuse(key.status(), json_output, out, err);
  auto signature = pb::Sign(book->content_hash, *key);
  if (!signature.ok()) return Refuse(signature.status(), json_output, out, err);
  const std::string signature_path = SignaturePathFor(file);
  if (Status written = WriteFileAtomic(signature_path, signature->Encode().dump(2) + "\n");
      !written.ok()) {
    return Refuse(written, json_output, out, err);
  }
  if (json_output) {
    out << json{{"file", file},
                {"signature_file", signature_path},
                {"id", book->id},
                {"version", book->version},
                {"content_hash", book->content_hash},
                {"author", signature->author},
                {"key_id", signature->key_id}}
               .dump(2)
        << "\n";
    return 0;
  }
  out << signature_path << ": " << book->id << " " << book->version << " ("
      << book->content_hash.substr(0, 12) << ") signed by " << signature->author << " (key "
      << signature->key_id << ")\n";
  return 0;
}

int VerifyCommand(const std::string& file, const std::string& signature_path, bool json_output,
                  std::ostream& out, std::ostream& err) {
  if (file.empty()) {
    return Refuse(Status::Error(ErrorCode::kInvalidArgument,
                                "usage: muster playbook verify FILE [--sig FILE.sig]"),
                  json_output, out, err, kExitUsage);
  }
  auto book = LoadLinted(file, err);
  if (!book.ok()) return Refuse(book.status(), json_output, out, err);
  const std::string path = signature_path.empty() ? SignaturePathFor(file) : signature_path;
  auto signature = ReadSignatureFile(path);
  if (!signature.ok()) return Refuse(signature.status(), json_output, out, err);
  const Status held = pb::Verify(*signature, book->content_hash);
  if (json_output) {
    out << json{{"file", file},
                {"signature_file", path},
                {"valid", held.ok()},
                {"content_hash", book->content_hash},
                {"author", signature->author},
                {"key_id", signature->key_id},
                {"problem", held.ok() ? json() : json(held.message())}}
               .dump(2)
        << "\n";
    return held.ok() ? 0 : kExitFailed;
  }
  if (!held.ok()) return Refuse(held, false, out, err);
  out << file << ": signed by " << signature->author << " (key " << signature->key_id
      << "), content " << book->content_hash.substr(0, 12)
      << ": the signature holds (whether HQ trusts the key: muster author list)\n";
  return 0;
}

void RegisterSignatureCommands(CLI::App& playbook, const bool& global_json) {
  struct Options {
    std::string author;
    std::string key_path;
    std::string file;
    std::string signature_path;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  const auto finish = [](int code) {
    if (code != 0) throw CLI::RuntimeError(code);
  };
  CLI::App* keygen = playbook.add_subcommand("keygen", "Make a playbook author's signing key");
  keygen->add_option("--author", options->author, "The author's name, as HQ will trust it");
  keygen->add_option("--out", options->key_path, "The key file to write (mode 0600)");
  keygen->add_flag("--json", options->json, "Print the public key as JSON");
  keygen->callback([options, finish, &global_json] {
    finish(KeygenCommand(options->author, options->key_path, options->json || global_json,
                         std::cout, std::cerr));
  });
  CLI::App* sign = playbook.add_subcommand("sign", "Sign a playbook: writes FILE.sig");
  sign->add_option("file", options->file, "Playbook file");
  sign->add_option("--key", options->key_path, "The author's key file (muster playbook keygen)");
  sign->add_flag("--json", options->json, "Print the signature as JSON");
  sign->callback([options, finish, &global_json] {
    finish(SignCommand(options->file, options->key_path, options->json || global_json, std::cout,
                       std::cerr));
  });
  CLI::App* verify = playbook.add_subcommand("verify", "Check a playbook's signature, offline");
  verify->add_option("file", options->file, "Playbook file");
  verify->add_option("--sig", options->signature_path, "The signature (default: FILE.sig)");
  verify->add_flag("--json", options->json, "Print the verdict as JSON");
  verify->callback([options, finish, &global_json] {
    finish(VerifyCommand(options->file, options->signature_path, options->json || global_json,
                         std::cout, std::cerr));
  });
}

void RegisterGovernanceCommands(CLI::App& app, CLI::App& playbook, Context& context) {
  struct Options {
    std::string name;
    std::string public_key;
    std::string version;
    std::string reason;
  };
  auto options = std::make_shared<Options>();
  CLI::App* revoke = playbook.add_subcommand(
      "revoke", "Revoke a published version: no new deployment of it (officers)");
  revoke->add_option("VERSION", options->version, "ID@VERSION, e.g. border-seizure@1.2.0")
      ->required();
  revoke->add_option("--reason", options->reason, "Why; the team's laptops show it")->required();
  revoke->callback([&context, options] {
    const auto at = options->version.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == options->version.size()) {
      Fail(context, Status::Error(ErrorCode::kInvalidArgument,
                                  "'" + options->version + "' must look like ID@VERSION"));
    }
    Answer(context,
           ApiPost(context, "/v1/playbook-revocations",
                   {{"id", options->version.substr(0, at)},
                    {"version", options->version.substr(at + 1)},
                    {"reason", options->reason}}),
           [](const json& revoked) {
             std::cout << Text(revoked["id"]) << "@" << Text(revoked["version"])
                       << " revoked: no new deployment of it; " << revoked["running"].size()
                       << " running deployment(s) go on and their members are told\n";
           });
  });

  CLI::App* author = app.add_subcommand("author", "the playbook authors HQ trusts");
  author->require_subcommand(1);
  CLI::App* add = author->add_subcommand("add", "trust an author's public key (administrators)");
  add->add_option("NAME", options->name, "the author's name")->required();
  add->add_option("--key", options->public_key, "the public key muster playbook keygen printed")
      ->required();
  add->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/authors",
                   {{"name", options->name}, {"public_key", options->public_key}}),
           [](const json& added) {
             std::cout << "HQ trusts " << Text(added["name"]) << "'s key " << Text(added["key_id"])
                       << "\n";
           });
  });
  CLI::App* list = author->add_subcommand("list", "the author keys HQ knows");
  list->callback([&context] {
    Answer(context, ApiGet(context, "/v1/authors"), [](const json& authors) {
      Table table({"AUTHOR", "KEY", "ADDED", "BY", "REVOKED"});
      for (const auto& entry : authors) {
        table.Add({Text(entry["name"]), Text(entry["key_id"]), When(entry["added_at"]),
                   Text(entry["added_by"]),
                   entry["revoked_at"].is_null()
                       ? std::string("-")
                       : When(entry["revoked_at"]) + " by " + Text(entry["revoked_by"])});
      }
      table.Print(std::cout);
    });
  });
  CLI::App* revoke_author =
      author->add_subcommand("revoke", "stop trusting an author's keys (administrators)");
  revoke_author->add_option("NAME", options->name, "the author")->required();
  revoke_author->callback([&context, options] {
    Answer(context, ApiPost(context, "/v1/authors/" + options->name + "/revoke", json::object()),
           [](const json& revoked) {
             std::cout << Text(revoked["name"]) << ": " << revoked["revoked"]
                       << " key(s) revoked; playbooks they signed are no longer deployed\n";
           });
  });
}

}  // namespace muster::console
