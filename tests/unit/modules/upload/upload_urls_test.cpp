// Tests for src/modules/upload/upload_urls.cpp: signed XEP-0363 URLs accept what was
// granted and refuse every change, and expire.
#include "modules/upload/upload_urls.h"

#include <gtest/gtest.h>

namespace chorus::modules::upload {
namespace {

constexpr std::string_view secret = "0123456789abcdef0123456789abcdef";
const std::string id(32, 'a');

PutGrant grant()
{
    return {.id = id,
            .name = "photo.jpg",
            .size = 1234,
            .content_type = "image/jpeg",
            .owner = "juliet@localhost",
            .expires = 1000};
}

std::pair<std::string, std::string> split(const std::string& target)
{
    const auto q = target.find('?');
    return {target.substr(0, q), target.substr(q + 1)};
}

TEST(UploadUrls, APutUrlChecksOutUntilItExpires)
{
    const auto [path, query] = split(put_target(grant(), secret));
    PutGrant got;
    ASSERT_EQ(check_put(path, query, secret, 1000, got), UrlCheck::ok);
    EXPECT_EQ(got.size, 1234u);
    EXPECT_EQ(got.content_type, "image/jpeg");
    EXPECT_EQ(got.owner, "juliet@localhost");
    EXPECT_EQ(check_put(path, query, secret, 1001, got), UrlCheck::expired);
}

struct Tamper {
    const char* name;
    std::string from, to;
    bool in_path;
};
const Tamper tampers[] = {
    {"LargerSize", "n=1234", "n=1235", false},
    {"OtherType", "t=image%2Fjpeg", "t=text%2Fhtml", false},
    {"OtherOwner", "u=juliet", "u=romeo", false},
    {"LaterExpiry", "e=1000", "e=9000", false},
    {"OtherName", "photo.jpg", "photo.exe", true},
};
class PutTamper : public testing::TestWithParam<Tamper> {};
TEST_P(PutTamper, IsABadSignature)
{
    auto [path, query] = split(put_target(grant(), secret));
    auto& where = GetParam().in_path ? path : query;
    const auto at = where.find(GetParam().from);
    ASSERT_NE(at, std::string::npos);
    where.replace(at, GetParam().from.size(), GetParam().to);
    PutGrant got;
    EXPECT_EQ(check_put(path, query, secret, 0, got), UrlCheck::bad_signature);
}
INSTANTIATE_TEST_SUITE_P(Rows, PutTamper, testing::ValuesIn(tampers),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(UploadUrls, AnotherSecretOrAGetUrlDoesNotAllowAPut)
{
    const auto [path, query] = split(put_target(grant(), secret));
    PutGrant got;
    EXPECT_EQ(check_put(path, query, "another secret", 0, got), UrlCheck::bad_signature);
    const auto [gpath, gquery] = split(get_target({id, "photo.jpg", 1000}, secret));
    EXPECT_EQ(check_put(gpath, gquery, secret, 0, got), UrlCheck::malformed);
    GetGrant g;
    EXPECT_EQ(check_get(gpath, gquery, secret, 0, g), UrlCheck::ok);
    EXPECT_EQ(check_get(gpath, gquery, secret, 1001, g), UrlCheck::expired);
}

TEST(UploadUrls, MalformedPathsAndQueriesAreRefused)
{
    GetGrant g;
    EXPECT_EQ(check_get("/upload/xyz/a", "e=1&s=00", secret, 0, g), UrlCheck::malformed);
    EXPECT_EQ(check_get("/upload/" + id + "/../etc", "e=1&s=00", secret, 0, g),
              UrlCheck::malformed);
    EXPECT_EQ(check_get("/upload/" + id + "/a", "e=x&s=00", secret, 0, g), UrlCheck::malformed);
    EXPECT_EQ(check_get("/upload/" + id + "/a", "e=1&e=2&s=00", secret, 0, g), UrlCheck::malformed);
    EXPECT_EQ(check_get("/upload/" + id + "/a", "e=1&s=%zz", secret, 0, g), UrlCheck::malformed);
}

TEST(UploadUrls, FileNamesAreSanitized)
{
    EXPECT_EQ(sanitize_filename("holiday photo.jpg"), "holiday_photo.jpg");
    EXPECT_EQ(sanitize_filename("../../etc/passwd"), "_._.._etc_passwd");
    EXPECT_EQ(sanitize_filename(".hidden"), "_hidden");
    EXPECT_EQ(sanitize_filename(""), "file");
    EXPECT_EQ(sanitize_filename(std::string(300, 'x')).size(), 100u);
    EXPECT_EQ(sanitize_filename("caf\xc3\xa9.txt"), "caf__.txt");
}

TEST(UploadUrls, UrlEncodingRoundTrips)
{
    const std::string s = "a b/c?d=e&f%g\xc3\xa9";
    EXPECT_EQ(url_decode(url_encode(s)), s);
    EXPECT_EQ(url_decode("%4"), std::nullopt);
}

}  // namespace
}  // namespace chorus::modules::upload
