// GET /admin/s2s: the links as JSON or a table, to loopback clients only.
#include "stream/s2s_admin.h"

#include <gtest/gtest.h>

#include "stream/s2s_manager.h"

namespace chorus::stream {
namespace {

std::vector<S2sLinkInfo> rows()
{
    return {{"out", "a.org", "b.org", "127.0.0.1:5269", true, 2, "direct", "SASL EXTERNAL", true},
            {"in", "a.org", "we\"ird", "127.0.0.1:4000", false, 0, "none", ""}};
}

HttpRequest get(bool loopback, std::string query = {})
{
    HttpRequest r;
    r.method = "GET";
    r.path = "/admin/s2s";
    r.query = std::move(query);
    r.loopback = loopback;
    return r;
}

TEST(S2sAdmin, JsonRowsWithEscapedStrings)
{
    const auto json = s2s_links_json(rows());
    EXPECT_NE(json.find("{\"direction\": \"out\", \"local\": \"a.org\", \"remote\": \"b.org\", "
                        "\"address\": \"127.0.0.1:5269\", \"authenticated\": true, \"auth\": "
                        "\"SASL EXTERNAL\", \"tls\": \"direct\", \"bidi\": true, \"queued\": 2}"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("\"we\\\"ird\""), std::string::npos) << json;
    EXPECT_EQ(s2s_links_json({}), "{\"links\": []}\n");
}

TEST(S2sAdmin, LoopbackOnlyAndReadOnly)
{
    EXPECT_EQ(s2s_admin_response(get(false), rows()).status, 403);
    auto post = get(true);
    post.method = "POST";
    EXPECT_EQ(s2s_admin_response(post, rows()).status, 405);
    const auto ok = s2s_admin_response(get(true), rows());
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.content_type, "application/json");
}

TEST(S2sAdmin, TextTableHasOneLinePerLink)
{
    const auto res = s2s_admin_response(get(true, "format=text"), rows());
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(std::count(res.body.begin(), res.body.end(), '\n'), 3);
    EXPECT_NE(res.body.find("(pending)"), std::string::npos) << res.body;
    EXPECT_NE(res.body.find("SASL EXTERNAL"), std::string::npos);
    EXPECT_NE(res.body.find("BIDI"), std::string::npos) << res.body;
    EXPECT_NE(res.body.find(" yes "), std::string::npos) << "the bidi link is marked: " << res.body;
}

}  // namespace
}  // namespace chorus::stream
