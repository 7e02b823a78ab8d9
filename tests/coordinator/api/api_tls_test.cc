// The API over HTTPS (api.tls) with real sockets and real certificates: the coordinator's
// self-signed certificate (made once, reused, its key private) or a configured one,
// coordinator.json, and the console's client trusting it by pin or by CA, or refusing it.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <filesystem>

#include "api/tls_identity.h"
#include "api_client.h"
#include "coordinator_fixture.h"
#include "muster/digest.h"
#include "muster/files.h"
#include "service/coordinator.h"

namespace muster::coordtest {
namespace {

// The SHA-256 of the certificate in |path| as OpenSSL itself computes it, in our format:
// a check of TlsFingerprint that does not go through it.
std::string OpenSslFingerprint(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return "";
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (cert == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(cert, EVP_sha256(), digest, &size);
  X509_free(cert);
  std::string hex = "sha256:";
  char pair[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

class ApiTlsTest : public CoordinatorTest {
 protected:
  void SetUp() override {
    CoordinatorTest::SetUp();
    config_.api_tls = hq::TlsMode::kOn;
  }
  std::string CertPath() const { return config_.data_dir + "/api-tls.crt"; }
  std::string KeyPath() const { return config_.data_dir + "/api-tls.key"; }
  // The running API's URL with |scheme| and |host|.
  std::string Url(const std::string& scheme, const std::string& host = "127.0.0.1") {
    return scheme + "://" + host + ":" + std::to_string(ApiHostPort().second);
  }
  Result<json> Health(const std::string& url, console::TlsTrust trust) {
    return console::ApiClient(url, hq_->api_token(), std::move(trust)).Get("/v1/health");
  }
  Status StartFails() {
    hq::Coordinator coordinator(config_, clock_);
    Status started = coordinator.Start();
    EXPECT_FALSE(started.ok());
    return started;
  }
  // A certificate and key of the test's own, written beside the data directory.
  std::pair<std::string, std::string> OwnCertificate(const std::string& name) {
    auto pem = hq::MakeSelfSignedCertificate({"muster.test", "127.0.0.1"});
    EXPECT_TRUE(pem.ok()) << pem.status().ToString();
    const std::string cert = dir_.File(name + ".crt"), key = dir_.File(name + ".key");
    EXPECT_TRUE(WriteFileAtomic(cert, pem.ok() ? pem->certificate : "", 0644).ok());
    EXPECT_TRUE(WriteFileAtomic(key, pem.ok() ? pem->private_key : "", 0600).ok());
    return {cert, key};
  }
};

TEST_F(ApiTlsTest, TheGeneratedCertificateIsKeptAcrossRestartsAndItsKeyIsPrivate) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  EXPECT_EQ(FileMode(KeyPath()), 0600);
  EXPECT_EQ(FileMode(CertPath()), 0644);
  const std::string fingerprint = hq_->tls_fingerprint();
  EXPECT_TRUE(IsTlsFingerprint(fingerprint)) << fingerprint;
  EXPECT_EQ(fingerprint, OpenSslFingerprint(CertPath()));
  auto cert = ReadFile(CertPath());
  auto key = ReadFile(KeyPath());
  ASSERT_TRUE(cert.ok() && key.ok());

  hq_.reset();
  ASSERT_NO_FATAL_FAILURE(StartHq());
  EXPECT_EQ(hq_->tls_fingerprint(), fingerprint);
  EXPECT_EQ(*ReadFile(CertPath()), *cert);
  EXPECT_EQ(*ReadFile(KeyPath()), *key);
  auto health = Health(hq_->api_url(), {"", fingerprint});
  EXPECT_TRUE(health.ok()) << health.status().ToString();
}

TEST_F(ApiTlsTest, CoordinatorJsonCarriesTheHttpsUrlAndTheFingerprintAndTheConsolePinsIt) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  auto text = ReadFile(config_.data_dir + "/coordinator.json");
  ASSERT_TRUE(text.ok());
  json info = json::parse(*text, nullptr, false);
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["api_url"], Url("https"));
  EXPECT_EQ(ApiHostPort().first, "127.0.0.1");
  EXPECT_EQ(info["tls_fingerprint"], OpenSslFingerprint(CertPath()));

  auto client = console::ApiClient::FromDataDir(config_.data_dir);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto health = client->Get("/v1/health");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ((*health)["status"], "ok");
  // A write goes through as well (the fixture's client pins like FromDataDir).
  EXPECT_EQ(Post("/v1/incidents", {{"id", "INC-1"}, {"title", "over TLS"}})["id"], "INC-1");
}

TEST_F(ApiTlsTest, AnOperatorLogsInAndWorksOverHttps) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  auto dana = LogIn("dana", "viewer");
  auto incidents = dana->Get("/v1/incidents");
  EXPECT_TRUE(incidents.ok()) << incidents.status().ToString();
}

TEST_F(ApiTlsTest, TheCertificateAsCaIsTrustedForTheLoopbackNamesItCarries) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto health = Health(Url("https", host), {CertPath(), ""});
    EXPECT_TRUE(health.ok()) << host << ": " << health.status().ToString();
  }
}

TEST_F(ApiTlsTest, AWrongPinIsRefusedNamingBothFingerprintsAndTheFix) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  const std::string wrong = TlsFingerprint("another certificate");
  auto health = Health(hq_->api_url(), {"", wrong});
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUntrustedCertificate);
  const std::string& message = health.status().message();
  EXPECT_NE(message.find(wrong), std::string::npos) << message;
  EXPECT_NE(message.find(hq_->tls_fingerprint()), std::string::npos) << message;
  EXPECT_NE(message.find("--pin"), std::string::npos) << message;
  EXPECT_NE(message.find("event=api_tls"), std::string::npos) << message;

  auto malformed = Health(hq_->api_url(), {"", "sha256:abc"});
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ApiTlsTest, ASelfSignedCertificateWithoutTrustIsRefusedNamingPinAndCa) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  auto health = Health(hq_->api_url(), {});
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUntrustedCertificate);
  const std::string& message = health.status().message();
  EXPECT_NE(message.find("self-signed"), std::string::npos) << message;  // OpenSSL's reason
  EXPECT_NE(message.find("--pin"), std::string::npos) << message;
  EXPECT_NE(message.find("--ca"), std::string::npos) << message;
}

TEST_F(ApiTlsTest, AnotherCertificateAsCaIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  auto other = OwnCertificate("other");
  auto health = Health(hq_->api_url(), {other.first, ""});
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUntrustedCertificate);
}

TEST_F(ApiTlsTest, PlainHttpToTheTlsPortGetsNoAnswerAndTheClientSaysHttps) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  const int port = ApiHostPort().second;
  EXPECT_EQ(
      RawHttp(port, "GET", "/v1/health", {"Authorization: Bearer " + hq_->api_token()}, "").status,
      0);
  auto health = Health(Url("http"), {});
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnreachable);
  EXPECT_NE(health.status().message().find("use https://"), std::string::npos)
      << health.status().message();
}

TEST_F(ApiTlsTest, TrustForAPlainHttpApiIsAMistake) {
  config_.api_tls = hq::TlsMode::kAuto;  // loopback: plain HTTP
  ASSERT_NO_FATAL_FAILURE(StartHq());
  EXPECT_EQ(hq_->api_url().rfind("http://", 0), 0u);
  auto health = Health(hq_->api_url(), {"", TlsFingerprint("x")});
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(health.status().message().find("https://"), std::string::npos);
}

TEST_F(ApiTlsTest, AKeyOthersCanReadIsRefusedAtStart) {
  ASSERT_NO_FATAL_FAILURE(StartHq());
  hq_.reset();
  ASSERT_EQ(::chmod(KeyPath().c_str(), 0640), 0);
  Status refused = StartFails();
  EXPECT_EQ(refused.code(), ErrorCode::kInsecureFile);
  EXPECT_NE(refused.message().find(KeyPath()), std::string::npos) << refused.message();
}

TEST_F(ApiTlsTest, TlsOffOnAnAddressOtherHostsReachIsRefusedBeforeAnythingIsMade) {
  config_.api_bind = "0.0.0.0";
  config_.api_tls = hq::TlsMode::kOff;
  Status refused = StartFails();
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(refused.message().find("api.tls: off"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("127.0.0.1"), std::string::npos) << refused.message();
  EXPECT_FALSE(std::filesystem::exists(config_.data_dir));
}

TEST_F(ApiTlsTest, AutoServesHttpsOffLoopbackAndPlainHttpOnIt) {
  config_.api_tls = hq::TlsMode::kAuto;
  config_.api_bind = "0.0.0.0";
  ASSERT_NO_FATAL_FAILURE(StartHq());
  EXPECT_EQ(hq_->api_url().rfind("https://0.0.0.0:", 0), 0u) << hq_->api_url();
  auto health = Health(Url("https"), {"", hq_->tls_fingerprint()});
  EXPECT_TRUE(health.ok()) << health.status().ToString();

  hq_.reset();
  config_.api_bind = "127.0.0.1";
  ASSERT_NO_FATAL_FAILURE(StartHq());
  EXPECT_EQ(hq_->api_url().rfind("http://127.0.0.1:", 0), 0u) << hq_->api_url();
  EXPECT_TRUE(hq_->tls_fingerprint().empty());
  json info = json::parse(*ReadFile(config_.data_dir + "/coordinator.json"), nullptr, false);
  EXPECT_FALSE(info.contains("tls_fingerprint"));
  EXPECT_TRUE(Health(hq_->api_url(), {}).ok());
}

TEST_F(ApiTlsTest, AConfiguredCertificateAndKeyAreServedAndNothingIsGenerated) {
  auto [cert, key] = OwnCertificate("own");
  config_.api_tls_cert = cert;
  config_.api_tls_key = key;
  ASSERT_NO_FATAL_FAILURE(StartHq());
  EXPECT_EQ(hq_->tls_fingerprint(), OpenSslFingerprint(cert));
  EXPECT_EQ(hq_->tls_fingerprint(), *hq::PemFingerprint(*ReadFile(cert)));
  EXPECT_FALSE(std::filesystem::exists(CertPath()));
  auto health = Health(hq_->api_url(), {cert, ""});
  EXPECT_TRUE(health.ok()) << health.status().ToString();
}

TEST_F(ApiTlsTest, AConfiguredKeyOfAnotherCertificateIsRefused) {
  auto own = OwnCertificate("own");
  auto other = OwnCertificate("other");
  config_.api_tls_cert = own.first;
  config_.api_tls_key = other.second;
  Status refused = StartFails();
  EXPECT_EQ(refused.code(), ErrorCode::kBadKey);
  EXPECT_NE(refused.message().find(other.second), std::string::npos) << refused.message();
}

TEST(TlsIdentityTest, TheNamesCoverTheBindAddressAndLoopbackButNoWildcard) {
  auto names = hq::CertificateNames("10.1.2.3");
  EXPECT_EQ(names.front(), "10.1.2.3");
  for (const char* name : {"localhost", "127.0.0.1", "::1"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  auto wildcard = hq::CertificateNames("0.0.0.0");
  EXPECT_EQ(std::find(wildcard.begin(), wildcard.end(), "0.0.0.0"), wildcard.end());
  EXPECT_FALSE(hq::MakeSelfSignedCertificate({"bad name,DNS:evil"}).ok());
}

}  // namespace
}  // namespace muster::coordtest
