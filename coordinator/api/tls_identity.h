// The HTTP API's TLS identity: the certificate and private key it serves HTTPS with, and
// the certificate's fingerprint that operators pin (docs/operations.md#tls). Either the
// files the configuration names (api.tls_cert, api.tls_key), or a self-signed pair the
// coordinator makes in its data directory on first start and reuses afterwards:
//
//   DATA/api-tls.crt  0644  ECDSA P-256, valid 2 years, names in subjectAltName
//   DATA/api-tls.key  0600  PKCS#8 PEM; refused at start when group or others can read it
//
// Fingerprints are TlsFingerprint (muster/digest.h): "sha256:" + 64 lowercase hex digits
// of the certificate's DER. Functions only, no state; callable from any thread.
#pragma once

#include <string>
#include <vector>

#include "muster/result.h"

namespace muster::hq {

struct TlsIdentity {
  std::string cert_path;    // PEM: the certificate first, then any intermediates
  std::string key_path;     // PEM private key, mode 0600 or stricter
  std::string fingerprint;  // of the first certificate in cert_path
  bool generated = false;   // made by this call (first start, or the files were missing)
  bool expiring = false;    // the certificate expires within 30 days, or has expired
};

// A certificate and its private key as PEM text.
struct TlsPem {
  std::string certificate;
  std::string private_key;
};

// Makes an ECDSA P-256 key and a self-signed certificate for |names| (DNS names or IP
// addresses; the first is the subject's common name), valid from an hour ago (clocks
// differ) for |days| days. internal when OpenSSL fails.
Result<TlsPem> MakeSelfSignedCertificate(const std::vector<std::string>& names, int days = 730);

// The names a certificate made for an API bound to |bind| covers: |bind| itself unless it
// is a wildcard address (0.0.0.0, ::), this host's name, localhost, 127.0.0.1 and ::1.
std::vector<std::string> CertificateNames(const std::string& bind);

// The fingerprint of the first certificate in |pem|; bad_key when there is none.
Result<std::string> PemFingerprint(const std::string& pem);

// With |cert_path| and |key_path| given: checks them (the key file private, the key
// matching the certificate) and answers them. With both empty: DATA/api-tls.crt and
// DATA/api-tls.key of |data_dir|, made for CertificateNames(|bind|) when either is
// missing. insecure_file for a key others can read, bad_key for files that hold no
// certificate or key or a key of another certificate, unreadable or io_error otherwise.
Result<TlsIdentity> LoadOrCreateTlsIdentity(const std::string& data_dir,
                                            const std::string& cert_path,
                                            const std::string& key_path, const std::string& bind);

}  // namespace muster::hq
