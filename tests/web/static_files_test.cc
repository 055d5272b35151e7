// The bridge's static-file rules (bridge/server/static_files.cc): what is served from
// web_root, with which content type and validator, and everything that must not be.
#include "static_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.h"

namespace laneway::bridge {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root() + "/assets");
    fs::create_directories(root() + "/sdk");
    write(root() + "/index.html", "<!doctype html><title>x</title>");
    write(root() + "/assets/dashboard.js", "export {};");
    write(root() + "/assets/dashboard.css", "body{}");
    write(root() + "/sdk/laneway.js", "export const x = 1;");
    write(root() + "/notes.md", "# not served");
    write(root() + "/.env", "SECRET=1");
    write(dir_.file("secret.txt"), "outside the root");
  }
  std::string root() const { return dir_.file("web"); }
  static void write(const std::string& path, const std::string& body) {
    std::ofstream(path, std::ios::binary) << body;
  }
  StaticFile get(const std::string& path, const std::string& inm = "") {
    return load_static_file(root(), path, inm);
  }
  test::TempDir dir_{"laneway-static"};
};

TEST_F(StaticFilesTest, ServesTheDashboardAndTheSdkWithTheirContentTypes) {
  const StaticFile index = get("/");
  ASSERT_EQ(index.status, 200u);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><title>x</title>");
  EXPECT_EQ(get("/index.html").body, index.body);
  const StaticFile sdk = get("/sdk/laneway.js");
  ASSERT_EQ(sdk.status, 200u);
  EXPECT_EQ(sdk.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(sdk.body, "export const x = 1;");
  EXPECT_EQ(get("/assets/dashboard.css").content_type, "text/css; charset=utf-8");
}

TEST_F(StaticFilesTest, AnswersNotModifiedWhenTheValidatorMatches) {
  const StaticFile first = get("/assets/dashboard.js");
  ASSERT_EQ(first.status, 200u);
  ASSERT_FALSE(first.etag.empty());
  const StaticFile again = get("/assets/dashboard.js", first.etag);
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.etag, first.etag);
  EXPECT_EQ(get("/assets/dashboard.js", "W/\"other\"").status, 200u);
  // A rebuilt file gets a new validator.
  write(root() + "/assets/dashboard.js", "export const changed = true;");
  EXPECT_EQ(get("/assets/dashboard.js", first.etag).status, 200u);
}

TEST_F(StaticFilesTest, NeverLeavesTheRoot) {
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/..", "/./index.html", "//index.html",
        "/assets//dashboard.js", "/%2e%2e/secret.txt", "/assets\\..\\index.html", "/.env",
        "/assets/.hidden.js", "index.html", "", "/index.html\n"}) {
    EXPECT_EQ(get(path).status, 404u) << path;
  }
  // A symlink inside the root pointing out of it is refused too.
  fs::create_symlink(dir_.file("secret.txt"), root() + "/leak.txt");
  EXPECT_EQ(get("/leak.txt").status, 404u);
}

TEST_F(StaticFilesTest, ServesOnlyKnownTypesRegularFilesAndBoundedSizes) {
  EXPECT_EQ(get("/notes.md").status, 404u);
  EXPECT_EQ(get("/missing.js").status, 404u);
  EXPECT_EQ(get("/assets/").status, 404u);  // no index.html there, no listing
  EXPECT_EQ(get("/" + std::string(600, 'a') + ".js").status, 404u);
  fs::create_directories(root() + "/dir.js");
  EXPECT_EQ(get("/dir.js").status, 404u);
  std::ofstream big(root() + "/big.js", std::ios::binary);
  big.seekp(static_cast<std::streamoff>(kMaxStaticFileBytes));
  big.put('x');
  big.close();
  EXPECT_EQ(get("/big.js").status, 404u);
  EXPECT_EQ(load_static_file("", "/index.html", "").status, 404u);
  EXPECT_EQ(load_static_file(dir_.file("nope"), "/index.html", "").status, 404u);
}

TEST(StaticContentType, KnowsOnlyWhatTheWebBuildProduces) {
  EXPECT_EQ(static_content_type("a.svg"), "image/svg+xml");
  EXPECT_EQ(static_content_type("laneway.js.map"), "application/json; charset=utf-8");
  EXPECT_EQ(static_content_type("Makefile"), "");
  EXPECT_EQ(static_content_type("x.php"), "");
}

}  // namespace
}  // namespace laneway::bridge
