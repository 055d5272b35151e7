// Manufacturer batches: files, manifest, index, numbering, atomic publication.
#include "laneway/certs/batch.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/index.h"
#include "laneway/certs/x509_io.h"
#include "pki_check.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

using namespace testing;
namespace fs = std::filesystem;

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CaStore::create(tmp_.path() / "pki", {});
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_.emplace(std::move(ca).value());
  }
  test::TempDir tmp_;
  std::optional<CaStore> ca_;
};

TEST_F(BatchTest, WritesKeysCertsManifestAndIndex) {
  BatchRequest request;
  request.count = 25;
  request.group = "line-a";
  request.out_dir = tmp_.path() / "out" / "batch-1";
  int calls = 0;
  int last_done = 0;
  auto result = write_batch(*ca_, request, [&](int done, int total) {
    ++calls;
    EXPECT_EQ(done, last_done + 1);
    EXPECT_EQ(total, 25);
    last_done = done;
  });
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(calls, 25);
  EXPECT_EQ(result->first_id, "line-a-000001");
  EXPECT_EQ(result->last_id, "line-a-000025");
  EXPECT_FALSE(fs::exists(request.out_dir.string() + ".partial"));

  std::ifstream in(result->manifest_path);
  const nlohmann::json manifest = nlohmann::json::parse(in);
  ASSERT_EQ(manifest["devices"].size(), 25u);
  EXPECT_EQ(manifest["group"], "line-a");
  EXPECT_EQ(manifest["ca_sha256"], certificate_sha256_hex(ca_->cert()));
  std::set<std::string> serials;
  for (const auto& device : manifest["devices"]) {
    const std::string id = device["id"];
    SCOPED_TRACE(id);
    X509Ptr cert = load_cert(request.out_dir / (id + ".crt"));
    ASSERT_TRUE(cert);
    PKeyPtr key = load_key(request.out_dir / (id + ".key"));
    ASSERT_TRUE(key);
    EXPECT_EQ(file_mode(request.out_dir / (id + ".key")), 0600u);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
    EXPECT_EQ(verify_chain(ca_->cert(), cert.get(), nullptr, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    EXPECT_EQ(subject_field(cert.get(), NID_commonName), id);
    EXPECT_EQ(subject_field(cert.get(), NID_organizationalUnitName), "device");
    EXPECT_EQ(device["sha256"], certificate_sha256_hex(cert.get()));
    EXPECT_EQ(device["not_after_unix"], asn1_time_to_unix(X509_get0_notAfter(cert.get())));
    serials.insert(device["serial"].get<std::string>());
  }
  EXPECT_EQ(serials.size(), 25u);
  auto index = read_index(ca_->index_path());
  ASSERT_EQ(index->size(), 25u);
  for (const auto& e : *index) {
    EXPECT_EQ(serials.count(e.serial_hex), 1u);
    EXPECT_EQ(e.groups, std::vector<std::string>{"line-a"});
  }
}

TEST_F(BatchTest, NumberingContinuesAndExistingOutputIsNeverOverwritten) {
  BatchRequest request;
  request.count = 3;
  request.group = "g";
  request.out_dir = tmp_.path() / "b1";
  ASSERT_TRUE(write_batch(*ca_, request).ok());
  const std::string manifest_before = read_text(request.out_dir / "manifest.json");

  auto again = write_batch(*ca_, request);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(read_text(request.out_dir / "manifest.json"), manifest_before);

  request.out_dir = tmp_.path() / "b2";
  auto second = write_batch(*ca_, request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->first_id, "g-000004");

  request.out_dir = tmp_.path() / "b3";
  request.start = 2;  // collides with g-000002
  auto clash = write_batch(*ca_, request);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.error().message.find("g-000002"), std::string::npos);
  EXPECT_FALSE(fs::exists(request.out_dir));
  EXPECT_FALSE(fs::exists(request.out_dir.string() + ".partial"));
  EXPECT_EQ(read_index(ca_->index_path())->size(), 6u);
}

TEST_F(BatchTest, LeftoverPartialFromACrashIsRedone) {
  const fs::path out = tmp_.path() / "crashed";
  fs::create_directories(out.string() + ".partial");
  std::ofstream(out.string() + ".partial/g-000001.crt") << "half";
  BatchRequest request;
  request.count = 2;
  request.group = "g";
  request.out_dir = out;
  auto result = write_batch(*ca_, request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  EXPECT_TRUE(load_cert(out / "g-000001.crt"));
}

TEST_F(BatchTest, FailureMidWayLeavesNoBatchAndNoIndexLines) {
  // A prefix that makes ids too long fails validation up front; an unwritable parent fails
  // while writing. Both must leave nothing behind.
  BatchRequest request;
  request.count = 2;
  request.group = "g";
  request.prefix = std::string(60, 'p');
  request.out_dir = tmp_.path() / "toolong";
  EXPECT_FALSE(write_batch(*ca_, request).ok());
  EXPECT_FALSE(fs::exists(request.out_dir));

  request.prefix.clear();
  request.out_dir = tmp_.path() / "file-in-the-way" / "batch";
  std::ofstream(tmp_.path() / "file-in-the-way") << "x";
  EXPECT_FALSE(write_batch(*ca_, request).ok());
  EXPECT_EQ(read_index(ca_->index_path())->size(), 0u);

  request.out_dir = tmp_.path() / "bad-group";
  request.group = "a+b";
  EXPECT_FALSE(write_batch(*ca_, request).ok());
  request.group = "g";
  request.count = 0;
  EXPECT_FALSE(write_batch(*ca_, request).ok());
  EXPECT_FALSE(fs::exists(request.out_dir));
}

}  // namespace
}  // namespace laneway::certs
