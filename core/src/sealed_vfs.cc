#include "muster/sealed_vfs.h"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

namespace muster {

namespace {

constexpr int kPage = kSealedPageSize;
constexpr int kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr int kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr int kBody = kPage - kSealedReservedBytes;                   // the ciphertext
static_assert(kNonce + kTag == kSealedReservedBytes);
constexpr sqlite3_int64 kWalHeader = 32;
constexpr sqlite3_int64 kFrameHeader = 24;
constexpr sqlite3_int64 kFrame = kFrameHeader + kPage;

// Which file a page lives in: part of each page's associated data.
enum class Kind : unsigned char { kPlain = 0, kDatabase = 'D', kWal = 'W', kJournal = 'J' };

struct SealedVfs {
  sqlite3_vfs base;
  sqlite3_vfs* real;
  SecretBytes key;
  std::string name;
};

struct SealedFile {
  sqlite3_file base;
  sqlite3_file* real;  // the unix VFS's file, allocated right after this struct
  Kind kind;
  const unsigned char* key;
};

constexpr int kFileHead = (sizeof(SealedFile) + 7) & ~7;

void AssociatedData(Kind kind, std::uint64_t index, unsigned char ad[9]) {
  ad[0] = static_cast<unsigned char>(kind);
  for (int i = 0; i < 8; ++i) ad[1 + i] = static_cast<unsigned char>(index >> (56 - 8 * i));
}

// Seals the plain page |plain| (its first kBody bytes) into |out| (kPage bytes).
void SealPage(const SealedFile& file, std::uint64_t index, const unsigned char* plain,
              unsigned char* out) {
  unsigned char ad[9];
  AssociatedData(file.kind, index, ad);
  unsigned char* nonce = out + kBody;
  unsigned char* tag = nonce + kNonce;
  randombytes_buf(nonce, kNonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out, tag, nullptr, plain, kBody, ad,
                                                      sizeof ad, nullptr, nonce, file.key);
}

// Opens the sealed page |in| into |plain| (kPage bytes; the reserved bytes read as zero).
bool OpenPage(const SealedFile& file, std::uint64_t index, const unsigned char* in,
              unsigned char* plain) {
  unsigned char ad[9];
  AssociatedData(file.kind, index, ad);
  const unsigned char* nonce = in + kBody;
  const unsigned char* tag = nonce + kNonce;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(plain, nullptr, in, kBody, tag, ad,
                                                          sizeof ad, nonce, file.key) != 0) {
    return false;
  }
  std::memset(plain + kBody, 0, kSealedReservedBytes);
  return true;
}

// A sealed region of a file: where its kPage bytes start and its index.
struct Region {
  sqlite3_int64 offset;
  std::uint64_t index;
};

// The sealed region that holds or follows byte |pos| of a database or WAL file.
Region RegionAt(Kind kind, sqlite3_int64 pos) {
  if (kind == Kind::kDatabase) {
    const auto page = static_cast<std::uint64_t>(pos / kPage);
    return {static_cast<sqlite3_int64>(page) * kPage, page};
  }
  // WAL: the 32-byte header, then frames of a 24-byte header and a page.
  const sqlite3_int64 from = std::max<sqlite3_int64>(pos - kWalHeader - kFrameHeader, 0);
  auto frame = static_cast<std::uint64_t>(from / kFrame);
  sqlite3_int64 offset = kWalHeader + static_cast<sqlite3_int64>(frame) * kFrame + kFrameHeader;
  if (offset + kPage <= pos) {
    ++frame;
    offset += kFrame;
  }
  return {offset, frame};
}

// Reads and opens the region at |region| into |plain|. A region wholly past the end of
// the file reads as zeros with *absent set; a torn or unauthentic one is IOERR_DATA.
int ReadRegion(SealedFile& file, const Region& region, unsigned char* plain, bool* absent) {
  unsigned char sealed[kPage];
  *absent = false;
  int rc = file.real->pMethods->xRead(file.real, sealed, kPage, region.offset);
  if (rc == SQLITE_IOERR_SHORT_READ) {
    sqlite3_int64 size = 0;
    if (file.real->pMethods->xFileSize(file.real, &size) != SQLITE_OK) return SQLITE_IOERR_READ;
    if (size > region.offset) return SQLITE_IOERR_DATA;  // a torn page
    std::memset(plain, 0, kPage);
    *absent = true;
    return SQLITE_OK;
  }
  if (rc != SQLITE_OK) return rc;
  return OpenPage(file, region.index, sealed, plain) ? SQLITE_OK : SQLITE_IOERR_DATA;
}

// A database or WAL read: the plain bytes as they are on disk, then every sealed region
// that overlaps the range opened in place.
//
// WAL recovery reads whole frames, header and page, and keeps frames only while their
// checksums (over the plain page) hold: a frame torn by a power loss, or altered, is
// handed to it as zeros, so that its checksum fails and recovery ends there, as it does
// over a plain WAL. Any other read of a page that fails to open is an error.
int ReadMixed(SealedFile& file, unsigned char* out, int amount, sqlite3_int64 offset) {
  const bool recovery = file.kind == Kind::kWal && amount >= kFrame;
  const int plain_rc = file.real->pMethods->xRead(file.real, out, amount, offset);
  if (plain_rc != SQLITE_OK && plain_rc != SQLITE_IOERR_SHORT_READ) return plain_rc;
  const sqlite3_int64 end = offset + amount;
  unsigned char plain[kPage];
  for (Region region = RegionAt(file.kind, offset); region.offset < end;
       region = RegionAt(file.kind, region.offset + kPage)) {
    const sqlite3_int64 from = std::max(offset, region.offset);
    const sqlite3_int64 to = std::min(end, region.offset + kPage);
    if (from >= to) continue;
    bool absent = false;
    int rc = SQLITE_OK;
    if (plain_rc == SQLITE_OK && region.offset >= offset && region.offset + kPage <= end) {
      if (!OpenPage(file, region.index, out + (region.offset - offset), plain)) {
        rc = SQLITE_IOERR_DATA;
      }
    } else {
      rc = ReadRegion(file, region, plain, &absent);
    }
    if (rc == SQLITE_IOERR_DATA && recovery) {
      std::memset(plain, 0, kPage);
      rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) return rc;
    std::memcpy(out + (from - offset), plain + (from - region.offset), to - from);
  }
  sodium_memzero(plain, sizeof plain);
  return plain_rc;
}

// Page 1 must say 4096-byte pages with 40 reserved bytes before it is written sealed.
bool HeaderFitsSealing(const unsigned char* page1) {
  const int page_size = (page1[16] << 8) | page1[17];
  return page_size == kPage && page1[20] == kSealedReservedBytes;
}

int WriteRegion(SealedFile& file, const Region& region, const unsigned char* plain) {
  if (file.kind == Kind::kDatabase && region.index == 0 && !HeaderFitsSealing(plain)) {
    sqlite3_log(SQLITE_IOERR_WRITE,
                "sealed VFS: page 1 does not have 4096-byte pages and 40 reserved bytes");
    return SQLITE_IOERR_WRITE;
  }
  unsigned char sealed[kPage];
  SealPage(file, region.index, plain, sealed);
  return file.real->pMethods->xWrite(file.real, sealed, kPage, region.offset);
}

// A database or WAL write: plain stretches (headers) as they are, sealed regions sealed.
// A database page written in part is read, patched and sealed again; a WAL page is
// always written whole (SQLite writes a frame's header and its page apart).
int WriteMixed(SealedFile& file, const unsigned char* in, int amount, sqlite3_int64 offset) {
  const sqlite3_int64 end = offset + amount;
  sqlite3_int64 pos = offset;
  unsigned char plain[kPage];
  while (pos < end) {
    const Region region = RegionAt(file.kind, pos);
    if (pos < region.offset) {  // a plain stretch before the next region
      const sqlite3_int64 to = std::min(end, region.offset);
      int rc = file.real->pMethods->xWrite(file.real, in + (pos - offset),
                                           static_cast<int>(to - pos), pos);
      if (rc != SQLITE_OK) return rc;
      pos = to;
      continue;
    }
    const sqlite3_int64 to = std::min(end, region.offset + kPage);
    int rc = SQLITE_OK;
    if (pos == region.offset && to == region.offset + kPage) {
      rc = WriteRegion(file, region, in + (pos - offset));
    } else if (file.kind == Kind::kDatabase) {
      bool absent = false;
      rc = ReadRegion(file, region, plain, &absent);
      if (rc == SQLITE_OK) {
        std::memcpy(plain + (pos - region.offset), in + (pos - offset), to - pos);
        rc = WriteRegion(file, region, plain);
      }
    } else {
      sqlite3_log(SQLITE_IOERR_WRITE, "sealed VFS: a WAL page written in part");
      rc = SQLITE_IOERR_WRITE;
    }
    if (rc != SQLITE_OK) return rc;
    pos = to;
  }
  sodium_memzero(plain, sizeof plain);
  return SQLITE_OK;
}

// A rollback journal's page record is written and read as the page alone, apart from the
// page number before it and the checksum after it. Journal headers are written at
// multiples of the sector size (at least 512) and may be a page long; a page starts 4
// bytes into a record of page + 8 bytes, so never at a multiple of 512.
bool IsJournalPage(int amount, sqlite3_int64 offset) {
  return amount == kPage && offset % 512 != 0;
}

// --- the file's methods ---

SealedFile& Of(sqlite3_file* file) { return *reinterpret_cast<SealedFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Of(file).real; }

int Close(sqlite3_file* file) { return Real(file)->pMethods->xClose(Real(file)); }

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  SealedFile& file = Of(f);
  auto* bytes = static_cast<unsigned char*>(out);
  switch (file.kind) {
    case Kind::kDatabase:
    case Kind::kWal:
      return ReadMixed(file, bytes, amount, offset);
    case Kind::kJournal:
      if (IsJournalPage(amount, offset)) {
        unsigned char sealed[kPage];
        int rc = file.real->pMethods->xRead(file.real, sealed, kPage, offset);
        if (rc != SQLITE_OK) {
          std::memset(bytes, 0, kPage);
          return rc;
        }
        return OpenPage(file, static_cast<std::uint64_t>(offset), sealed, bytes)
                   ? SQLITE_OK
                   : SQLITE_IOERR_DATA;
      }
      [[fallthrough]];
    case Kind::kPlain:
      break;
  }
  return file.real->pMethods->xRead(file.real, out, amount, offset);
}

int Write(sqlite3_file* f, const void* in, int amount, sqlite3_int64 offset) {
  SealedFile& file = Of(f);
  const auto* bytes = static_cast<const unsigned char*>(in);
  switch (file.kind) {
    case Kind::kDatabase:
    case Kind::kWal:
      return WriteMixed(file, bytes, amount, offset);
    case Kind::kJournal:
      if (IsJournalPage(amount, offset)) {
        Region region{offset, static_cast<std::uint64_t>(offset)};
        return WriteRegion(file, region, bytes);
      }
      [[fallthrough]];
    case Kind::kPlain:
      break;
  }
  return file.real->pMethods->xWrite(file.real, in, amount, offset);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) { return Real(f)->pMethods->xSync(Real(f), flags); }
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  if (op == SQLITE_FCNTL_MMAP_SIZE) {  // no memory mapping: every read goes through Read
    if (arg != nullptr) *static_cast<sqlite3_int64*>(arg) = 0;
    return SQLITE_OK;
  }
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int Fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;  // never a mapped page: SQLite reads through Read
  return SQLITE_OK;
}
int Unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

// --- the VFS's methods: all but Open pass to the unix VFS ---

SealedVfs& VfsOf(sqlite3_vfs* vfs) { return *static_cast<SealedVfs*>(vfs->pAppData); }
sqlite3_vfs* RealVfs(sqlite3_vfs* vfs) { return VfsOf(vfs).real; }

Kind KindOf(int flags) {
  if (flags & SQLITE_OPEN_MAIN_DB) return Kind::kDatabase;
  if (flags & SQLITE_OPEN_WAL) return Kind::kWal;
  if (flags & SQLITE_OPEN_MAIN_JOURNAL) return Kind::kJournal;
  return Kind::kPlain;
}

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  SealedFile& file = Of(f);
  file.base.pMethods = nullptr;
  file.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kFileHead);
  file.kind = KindOf(flags);
  file.key = VfsOf(vfs).key.data();
  int rc = RealVfs(vfs)->xOpen(RealVfs(vfs), name, file.real, flags, out_flags);
  if (rc == SQLITE_OK && file.real->pMethods != nullptr) file.base.pMethods = &kMethods;
  return rc;
}
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return RealVfs(vfs)->xDelete(RealVfs(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return RealVfs(vfs)->xAccess(RealVfs(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return RealVfs(vfs)->xFullPathname(RealVfs(vfs), name, size, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return RealVfs(vfs)->xDlOpen(RealVfs(vfs), name);
}
void DlError(sqlite3_vfs* vfs, int size, char* out) {
  RealVfs(vfs)->xDlError(RealVfs(vfs), size, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return RealVfs(vfs)->xDlSym(RealVfs(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { RealVfs(vfs)->xDlClose(RealVfs(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return RealVfs(vfs)->xRandomness(RealVfs(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return RealVfs(vfs)->xSleep(RealVfs(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return RealVfs(vfs)->xCurrentTime(RealVfs(vfs), out);
}
int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return RealVfs(vfs)->xGetLastError(RealVfs(vfs), size, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return RealVfs(vfs)->xCurrentTimeInt64(RealVfs(vfs), out);
}
int SetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return RealVfs(vfs)->xSetSystemCall(RealVfs(vfs), name, call);
}
sqlite3_syscall_ptr GetSystemCall(sqlite3_vfs* vfs, const char* name) {
  return RealVfs(vfs)->xGetSystemCall(RealVfs(vfs), name);
}
const char* NextSystemCall(sqlite3_vfs* vfs, const char* name) {
  return RealVfs(vfs)->xNextSystemCall(RealVfs(vfs), name);
}

}  // namespace

Result<std::string> SealedVfsFor(const SecretBytes& key) {
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return Status::Error(ErrorCode::kBadKey, "the store key must be 32 bytes");
  }
  if (sodium_init() < 0) {
    return Status::Error(ErrorCode::kCryptoUnavailable, "libsodium could not be initialised");
  }
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<SealedVfs>> registered;  // by key fingerprint
  unsigned char print[16];
  static const unsigned char kContext[] = "muster sealed vfs name";
  crypto_generichash(print, sizeof print, key.data(), key.size(), kContext, sizeof kContext - 1);
  char hex[2 * sizeof print + 1];
  sodium_bin2hex(hex, sizeof hex, print, sizeof print);
  const std::string name = std::string("muster-sealed-") + hex;

  std::lock_guard lock(mutex);
  if (registered.count(name) > 0) return name;
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr || real->iVersion < 3) {
    return Status::Error(ErrorCode::kStoreError, "SQLite has no default VFS to seal");
  }
  auto vfs = std::make_unique<SealedVfs>();
  vfs->real = real;
  vfs->key = SecretBytes::Copy(key.data(), key.size());
  vfs->name = name;
  sqlite3_vfs& base = vfs->base;
  std::memset(&base, 0, sizeof base);
  base.iVersion = 3;
  base.szOsFile = kFileHead + real->szOsFile;
  base.mxPathname = real->mxPathname;
  base.zName = vfs->name.c_str();
  base.pAppData = vfs.get();
  base.xOpen = Open;
  base.xDelete = Delete;
  base.xAccess = Access;
  base.xFullPathname = FullPathname;
  base.xDlOpen = DlOpen;
  base.xDlError = DlError;
  base.xDlSym = DlSym;
  base.xDlClose = DlClose;
  base.xRandomness = Randomness;
  base.xSleep = Sleep;
  base.xCurrentTime = CurrentTime;
  base.xGetLastError = GetLastError;
  base.xCurrentTimeInt64 = CurrentTimeInt64;
  base.xSetSystemCall = SetSystemCall;
  base.xGetSystemCall = GetSystemCall;
  base.xNextSystemCall = NextSystemCall;
  if (sqlite3_vfs_register(&base, 0) != SQLITE_OK) {
    return Status::Error(ErrorCode::kStoreError, "SQLite refused to register the sealed VFS");
  }
  registered.emplace(name, std::move(vfs));
  return name;
}

}  // namespace muster
