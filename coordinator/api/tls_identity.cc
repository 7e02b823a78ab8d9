#include "api/tls_identity.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include "muster/digest.h"
#include "muster/files.h"

namespace muster::hq {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

constexpr int kExpiryWarningDays = 30;

// OpenSSL's own words for what failed last (its error queue, emptied).
std::string OpenSslError(const std::string& what) {
  std::string message = what;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    message += std::string(message == what ? ": " : "; ") + text;
  }
  return message;
}

Status Failed(const std::string& what) {
  return Status::Error(ErrorCode::kInternal, OpenSslError(what));
}

bool IsIpAddress(const std::string& name) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  return extension && X509_add_ext(cert, extension.get(), -1) == 1;
}

std::string Pem(int (*write)(BIO*, void*), void* object) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get(), object) != 1) return "";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<X509Ptr> ReadCertificate(const std::string& pem, const std::string& path) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    return Status::Error(ErrorCode::kBadKey, OpenSslError(path + " holds no PEM certificate"));
  }
  return cert;
}

std::string Fingerprint(X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  if (size <= 0) return "";
  std::string fingerprint =
      TlsFingerprint(std::string_view(reinterpret_cast<const char*>(der), size));
  OPENSSL_free(der);
  return fingerprint;
}

// Reads both files and checks what a server needs of them: a certificate, a private key
// others cannot read, and the one matching the other.
Result<TlsIdentity> Load(const std::string& cert_path, const std::string& key_path) {
  Result<std::string> cert_pem = ReadFile(cert_path, 1 << 20);
  if (!cert_pem.ok()) return cert_pem.status();
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(key_path));
  Result<std::string> key_pem = ReadFile(key_path, 1 << 20);
  if (!key_pem.ok()) return key_pem.status();
  Result<X509Ptr> cert = ReadCertificate(*cert_pem, cert_path);
  if (!cert.ok()) return cert.status();
  BioPtr bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    return Status::Error(ErrorCode::kBadKey,
                         OpenSslError(key_path + " holds no PEM private key (without a "
                                                 "passphrase)"));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    return Status::Error(ErrorCode::kBadKey, OpenSslError(key_path +
                                                          " is not the key of the "
                                                          "certificate in " +
                                                          cert_path));
  }
  TlsIdentity identity;
  identity.cert_path = cert_path;
  identity.key_path = key_path;
  identity.fingerprint = Fingerprint(cert->get());
  time_t soon = time(nullptr) + kExpiryWarningDays * 24 * 3600;
  identity.expiring = X509_cmp_time(X509_get0_notAfter(cert->get()), &soon) < 0;
  return identity;
}

}  // namespace

Result<TlsPem> MakeSelfSignedCertificate(const std::vector<std::string>& names, int days) {
  if (names.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "a certificate needs at least one name");
  }
  KeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  BignumPtr serial(BN_new());
  if (!key || !cert || !serial) return Failed("cannot make an ECDSA P-256 key");
  // A random positive 127-bit serial: unique without a register of issued serials.
  if (BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ||
      X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return Failed("cannot fill in the certificate");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string common_name = names.front().substr(0, 64);  // the X.509 upper bound
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("Muster coordinator"), -1,
                                 -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), subject) != 1) {
    return Failed("cannot name the certificate " + common_name);
  }
  std::string alt_names;
  for (const std::string& name : names) {
    const bool ip = IsIpAddress(name);
    if (!ip && (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                       "0123456789.-_") != std::string::npos)) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "'" + name + "' is neither a host name nor an IP address");
    }
    alt_names += (alt_names.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + name;
  }
  // An end-entity certificate that is its own issuer: a client may trust it as its CA
  // (--ca) or pin it (--pin); it can sign nothing else.
  if (!AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), NID_subject_key_identifier, "hash") ||
      !AddExtension(cert.get(), NID_subject_alt_name, alt_names)) {
    return Failed("cannot add the certificate's extensions (" + alt_names + ")");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return Failed("cannot sign the certificate");
  }
  TlsPem pem;
  pem.certificate = Pem(
      [](BIO* bio, void* object) { return PEM_write_bio_X509(bio, static_cast<X509*>(object)); },
      cert.get());
  pem.private_key = Pem(
      [](BIO* bio, void* object) {
        return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(object), nullptr, nullptr, 0,
                                        nullptr, nullptr);
      },
      key.get());
  if (pem.certificate.empty() || pem.private_key.empty()) {
    return Failed("cannot write the certificate and key as PEM");
  }
  return pem;
}

std::vector<std::string> CertificateNames(const std::string& bind) {
  std::vector<std::string> names;
  auto add = [&names](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  if (bind != "0.0.0.0" && bind != "::" && bind != "*") add(bind);
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) add(host);
  for (const char* name : {"localhost", "127.0.0.1", "::1"}) add(name);
  return names;
}

Result<std::string> PemFingerprint(const std::string& pem) {
  Result<X509Ptr> cert = ReadCertificate(pem, "the text");
  if (!cert.ok()) return cert.status();
  return Fingerprint(cert->get());
}

Result<TlsIdentity> LoadOrCreateTlsIdentity(const std::string& data_dir,
                                            const std::string& cert_path,
                                            const std::string& key_path, const std::string& bind) {
  if (!cert_path.empty() || !key_path.empty()) return Load(cert_path, key_path);
  const std::string made_cert = data_dir + "/api-tls.crt";
  const std::string made_key = data_dir + "/api-tls.key";
  bool generated = false;
  if (access(made_cert.c_str(), F_OK) != 0 || access(made_key.c_str(), F_OK) != 0) {
    Result<TlsPem> pem = MakeSelfSignedCertificate(CertificateNames(bind));
    if (!pem.ok()) return pem.status();
    // The key first: a certificate on disk always has its key beside it.
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(made_key, pem->private_key, 0600));
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(made_cert, pem->certificate, 0644));
    generated = true;
  }
  Result<TlsIdentity> identity = Load(made_cert, made_key);
  if (identity.ok()) identity->generated = generated;
  return identity;
}

}  // namespace muster::hq
