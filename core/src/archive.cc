#include "muster/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <utility>

#include "muster/digest.h"
#include "muster/display.h"
#include "muster/files.h"
#include "wire/body_reader.h"

namespace muster::archive {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kKeyFileKind = "muster-archive-signing-key";
constexpr const char* kSignatureKind = "muster-incident-archive-signature";

std::string SignedMessage(std::string_view manifest_text) {
  return std::string(kArchiveSignatureDomain) + Sha256Hex(manifest_text);
}

bool FileNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// An open file descriptor, closed with its owner.
class Descriptor {
 public:
  explicit Descriptor(int fd = -1) : fd_(fd) {}
  Descriptor(Descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Descriptor& operator=(Descriptor&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Descriptor(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens the plain file |relative| ('/'-separated) under the folder open as |root|, one
// part at a time, following no link: a link anywhere on the way, a device or a pipe is
// refused rather than read. The reason, for people, otherwise.
Result<Descriptor> OpenInside(int root, const std::string& relative) {
  Descriptor folder(::dup(root));
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = relative.find('/', start);
    const std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos
                                                                               : slash - start);
    const bool last = slash == std::string::npos;
    const int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? O_NONBLOCK : O_DIRECTORY);
    Descriptor next(::openat(folder.get(), part.c_str(), flags));
    if (next.get() < 0) {
      return Status::Error(ErrorCode::kNotFound,
                           errno == ELOOP || errno == ENOTDIR ? "is a link or not a plain file"
                                                              : std::strerror(errno));
    }
    if (last) {
      struct stat info {};
      if (::fstat(next.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
        return Status::Error(ErrorCode::kNotFound, "is not a plain file");
      }
      return next;
    }
    folder = std::move(next);
    start = slash + 1;
  }
}

// Hands the file's bytes to |sink| in pieces (attachments may be large); at most
// |max_bytes| of them, else too_large.
Status ReadAll(int fd, std::size_t max_bytes, const std::function<void(std::string_view)>& sink) {
  std::string buffer(1 << 16, '\0');
  std::size_t total = 0;
  while (true) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::Error(ErrorCode::kIoError, std::strerror(errno));
    if (got == 0) return Status::Ok();
    total += static_cast<std::size_t>(got);
    if (total > max_bytes) {
      return Status::Error(ErrorCode::kTooLarge, "is larger than an archive's file may be");
    }
    sink(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
  }
}

// The whole text of a small file of the archive (the manifest, its signature).
Result<std::string> ReadSmall(int root, const std::string& name, std::size_t max_bytes) {
  Result<Descriptor> fd = OpenInside(root, name);
  if (!fd.ok()) return fd.status();
  std::string text;
  MUSTER_RETURN_IF_ERROR(
      ReadAll(fd->get(), max_bytes, [&](std::string_view piece) { text.append(piece); }));
  return text;
}

}  // namespace

json SigningKey::Encode() const {
  return {{"kind", kKeyFileKind},
          {"key_id", key_id},
          {"public_key", pair.public_key},
          {"secret_key", pair.secret_key}};
}

Result<SigningKey> SigningKey::Decode(const json& body) {
  wire::BodyReader reader(body, "an archive signing key file");
  reader.ExpectKind(kKeyFileKind, ErrorCode::kBadKey, "this is not an archive signing key file");
  SigningKey key;
  key.key_id = reader.String("key_id");
  key.pair.public_key = reader.String("public_key");
  key.pair.secret_key = reader.String("secret_key");
  return wire::Finish(reader, std::move(key));
}

Result<SigningKey> LoadOrCreateSigningKey(const std::string& path) {
  const std::string fix = "move " + path + " away to have HQ make a new key, and give partners "
                          "its public key (muster archive key)";
  std::error_code error;
  if (!fs::exists(path, error) && !error) {
    SigningKey key;
    key.pair = ed25519::Generate();
    key.key_id = ed25519::KeyIdOf(key.pair.public_key).value();
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(path, key.Encode().dump(2) + "\n", 0600));
    return key;
  }
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(path));
  Result<std::string> text = ReadFile(path, 4096);
  if (!text.ok()) return text.status();
  const json body = json::parse(*text, nullptr, false);
  Result<SigningKey> key = SigningKey::Decode(body);
  if (!key.ok()) {
    return Status::Error(ErrorCode::kBadKey, path + ": " + key.status().message() + "; " + fix);
  }
  // Signing once checks that the halves are well formed and belong together.
  Result<std::string> probe = ed25519::Sign("probe", key->pair, path, fix);
  if (!probe.ok()) return probe.status();
  if (ed25519::KeyIdOf(key->pair.public_key).value() != key->key_id) {
    return Status::Error(ErrorCode::kBadKey,
                         path + " names a key id that is not its key's; " + fix);
  }
  return key;
}

json Manifest::Encode() const {
  json listed = json::array();
  for (const ArchiveFile& file : files) {
    listed.push_back({{"path", file.path}, {"sha256", file.sha256}, {"bytes", file.bytes}});
  }
  return {{"kind", "muster-incident-archive"},
          {"format", format},
          {"incident", incident},
          {"hq", hq},
          {"exercise", exercise},
          {"created_at", created_at},
          {"created_by", created_by},
          {"releasable", releasable},
          {"marking", marking},
          {"withheld",
           {{"findings", withheld.findings},
            {"attachments", withheld.attachments},
            {"watchlist", withheld.watchlist},
            {"parts", withheld.parts}}},
          {"audit_head", audit_head},
          {"files", std::move(listed)}};
}

Result<Manifest> Manifest::Decode(const json& body) {
  wire::BodyReader reader(body, "an archive manifest");
  Manifest manifest;
  reader.ExpectKind("muster-incident-archive", ErrorCode::kMalformed,
                    "this is not a Muster incident archive's manifest");
  manifest.format = static_cast<int>(reader.Integer("format"));
  if (reader.ok() && manifest.format != 1) {
    reader.Fail(ErrorCode::kMalformed, "the archive's format " + std::to_string(manifest.format) +
                                           " is newer than this muster knows (1); update muster");
  }
  manifest.incident = reader.String("incident");
  manifest.hq = reader.String("hq");
  manifest.exercise = reader.OptionalBool("exercise", false);
  manifest.created_at = reader.String("created_at");
  manifest.created_by = reader.String("created_by");
  manifest.releasable = reader.String("releasable");
  manifest.marking = reader.String("marking");
  manifest.audit_head = reader.String("audit_head");
  if (const json* withheld = reader.Object("withheld")) {
    wire::BodyReader inner(*withheld, "the manifest's withheld");
    manifest.withheld.findings = static_cast<int>(inner.Integer("findings"));
    manifest.withheld.attachments = static_cast<int>(inner.Integer("attachments"));
    manifest.withheld.watchlist = static_cast<int>(inner.Integer("watchlist"));
    manifest.withheld.parts = inner.OptionalStrings("parts");
    if (!inner.ok()) reader.Fail(inner.status().code(), inner.status().message());
  }
  if (const json* files = reader.Array("files")) {
    for (const json& entry : *files) {
      wire::BodyReader inner(entry, "a file of the manifest");
      ArchiveFile file;
      file.path = inner.String("path");
      file.sha256 = inner.String("sha256");
      file.bytes = inner.Integer("bytes");
      if (!inner.ok()) {
        reader.Fail(inner.status().code(), inner.status().message());
        break;
      }
      manifest.files.push_back(std::move(file));
    }
  }
  return wire::Finish(reader, std::move(manifest));
}

json ManifestSignature::Encode() const {
  return {{"kind", kSignatureKind},
          {"key_id", key_id},
          {"public_key", public_key},
          {"signature", signature}};
}

Result<ManifestSignature> ManifestSignature::Decode(const json& body) {
  wire::BodyReader reader(body, "an archive signature");
  reader.ExpectKind(kSignatureKind, ErrorCode::kMalformed, "this is not a Muster archive signature");
  ManifestSignature signature;
  signature.key_id = reader.String("key_id");
  signature.public_key = reader.String("public_key");
  signature.signature = reader.String("signature");
  return wire::Finish(reader, std::move(signature));
}

Result<ManifestSignature> SignManifest(std::string_view manifest_text, const SigningKey& key) {
  Result<std::string> signature =
      ed25519::Sign(SignedMessage(manifest_text), key.pair, "HQ's archive signing key",
                    "move the key file away to have HQ make a new one");
  if (!signature.ok()) return signature.status();
  return ManifestSignature{key.key_id, key.pair.public_key, *signature};
}

bool IsSafeArchivePath(std::string_view path) {
  if (path.empty() || path.size() > 200 || path == kManifestName || path == kSignatureName) {
    return false;
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part.front() == '.' || !std::all_of(part.begin(), part.end(), FileNameCharacter)) {
      return false;
    }
    start = slash + 1;
  }
  return true;
}

std::string SafeFileName(std::string_view name) {
  std::string safe;
  for (const char c : name.substr(0, 80)) safe.push_back(FileNameCharacter(c) ? c : '_');
  if (safe.empty()) return "file";
  if (safe.front() == '.') safe.front() = '_';
  return safe;
}

Result<Verdict> VerifyFolder(const std::string& dir, const std::string& trusted_public_key) {
  Result<std::string> trusted_id = ed25519::KeyIdOf(trusted_public_key);
  if (!trusted_id.ok()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--key is not HQ's archive public key (32 bytes of base64); take it "
                         "from `muster archive key` at HQ");
  }
  Verdict verdict;
  const fs::path root(dir);
  Descriptor root_fd(::open(dir.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW));
  if (root_fd.get() < 0) {
    return Status::Error(ErrorCode::kNotFound,
                         ForTerminal(dir) + " is not a folder; give the archive's folder");
  }
  Result<std::string> manifest_text = ReadSmall(root_fd.get(), kManifestName, 16u << 20);
  Result<std::string> signature_text = ReadSmall(root_fd.get(), kSignatureName, 4096);
  for (const auto& [name, text] : {std::pair{kManifestName, &manifest_text},
                                   std::pair{kSignatureName, &signature_text}}) {
    if (!text->ok()) {
      verdict.problems.push_back(std::string(name) + " is missing or unreadable (" +
                                 text->status().message() + "); ask HQ for the archive again");
    }
  }
  if (!verdict.problems.empty()) return verdict;

  Result<ManifestSignature> signature =
      ManifestSignature::Decode(json::parse(*signature_text, nullptr, false));
  if (!signature.ok()) {
    verdict.problems.push_back(std::string(kSignatureName) + ": " + signature.status().message());
  } else {
    Result<std::string> signer = ed25519::KeyIdOf(signature->public_key);
    verdict.key_id = signer.ok() ? *signer : ForTerminal(signature->key_id);
    if (signature->public_key != trusted_public_key) {
      verdict.problems.push_back("the archive is signed by key " + verdict.key_id + ", not by " +
                                 *trusted_id +
                                 " (the key given): it is not from that HQ, or HQ's key "
                                 "changed; ask HQ for its key by a channel you trust");
    } else {
      Result<bool> matches = ed25519::Verify(SignedMessage(*manifest_text), signature->signature,
                                             signature->public_key, "HQ's archive key");
      if (!matches.ok()) {
        verdict.problems.push_back(std::string(kSignatureName) + ": " +
                                   matches.status().message());
      } else if (!*matches) {
        verdict.problems.push_back(std::string(kManifestName) +
                                   " does not match its signature: the manifest or the "
                                   "signature was changed after HQ signed it; ask HQ for the "
                                   "archive again");
      } else {
        verdict.signed_by_trusted_key = true;
      }
    }
  }

  Result<Manifest> manifest = Manifest::Decode(json::parse(*manifest_text, nullptr, false));
  if (!manifest.ok()) {
    verdict.problems.push_back(std::string(kManifestName) + ": " + manifest.status().message());
    return verdict;
  }
  std::set<std::string> listed;
  std::set<std::string> folders;  // every folder a listed file lies in
  for (const ArchiveFile& file : manifest->files) {
    if (!IsSafeArchivePath(file.path)) {
      verdict.problems.push_back("the manifest names a file outside the archive's rules ('" +
                                 SafeFileName(file.path) + "'); it was not read");
      continue;
    }
    if (!listed.insert(file.path).second) {
      verdict.problems.push_back("the manifest names " + file.path + " twice");
      continue;
    }
    for (std::size_t slash = file.path.find('/'); slash != std::string::npos;
         slash = file.path.find('/', slash + 1)) {
      folders.insert(file.path.substr(0, slash));
    }
    Result<Descriptor> fd = OpenInside(root_fd.get(), file.path);
    if (!fd.ok()) {
      verdict.problems.push_back(file.path + " is missing or cannot be read (" +
                                 fd.status().message() + "); ask HQ for the archive again");
      continue;
    }
    Sha256 hash;
    std::int64_t bytes = 0;
    Status read = ReadAll(fd->get(), std::numeric_limits<std::size_t>::max(),
                          [&](std::string_view piece) {
                            hash.Update(piece);
                            bytes += static_cast<std::int64_t>(piece.size());
                          });
    if (!read.ok()) {
      verdict.problems.push_back(file.path + ": " + read.message());
      continue;
    }
    ++verdict.files_checked;
    const std::string sha256 = hash.HexDigest();
    if (bytes != file.bytes || sha256 != file.sha256) {
      verdict.problems.push_back(file.path + " was changed: it holds " + std::to_string(bytes) +
                                 " bytes with sha256 " + sha256.substr(0, 12) +
                                 ", the manifest says " + std::to_string(file.bytes) +
                                 " bytes with " + ForTerminal(file.sha256.substr(0, 12)));
    }
  }
  // Nothing else may be there: a file, link or folder the manifest does not account for.
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    // Lexically: fs::relative would resolve a link to where it points.
    const std::string relative = it->path().lexically_relative(root).generic_string();
    const fs::file_type type = it->symlink_status(error).type();
    if (error) break;
    if (type == fs::file_type::directory && folders.count(relative)) continue;
    if (type == fs::file_type::regular &&
        (relative == kManifestName || relative == kSignatureName || listed.count(relative))) {
      continue;
    }
    verdict.problems.push_back(ForTerminal(relative) +
                               " is not in the manifest: the signature does not cover it; "
                               "ignore it or ask HQ for the archive again");
    if (type == fs::file_type::directory) it.disable_recursion_pending();
  }
  if (error) {
    verdict.problems.push_back("cannot list " + ForTerminal(dir) + ": " + error.message());
  }
  verdict.manifest = std::move(*manifest);
  return verdict;
}

}  // namespace muster::archive
