// Tests for src/net/tls13_records.cpp: records sealed by one direction open at its peer,
// in order, under every suite and across key updates, and nothing altered opens.
#include "net/tls13_records.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace chorus::net {
namespace {

struct Suite {
    const char* name;
    Tls13Suite suite;
    std::size_t secret_size;
};

const Suite suites[] = {
    {"Aes128Gcm", Tls13Suite::aes_128_gcm_sha256, 32},
    {"Aes256Gcm", Tls13Suite::aes_256_gcm_sha384, 48},
    {"ChaCha20Poly1305", Tls13Suite::chacha20_poly1305, 32},
};

void PrintTo(const Suite& suite, std::ostream* out)
{
    *out << suite.name;
}

class Tls13RecordsTest : public ::testing::TestWithParam<Suite> {
protected:
    void SetUp() override
    {
        std::vector<unsigned char> secret(GetParam().secret_size);
        for (std::size_t i = 0; i < secret.size(); ++i) {
            secret[i] = static_cast<unsigned char>(i * 7 + 1);
        }
        ASSERT_TRUE(sender_.init(GetParam().suite, secret, 0));
        ASSERT_TRUE(receiver_.init(GetParam().suite, secret, 0));
    }

    std::string seal(const std::string& content, tls13::ContentType type = tls13::application_data)
    {
        std::string record(content.size() + tls13::overhead, '\0');
        record.resize(sender_.seal(type, content, record.data()));
        return record;
    }

    // The content of record if it opens, else "<refused>".
    std::string open(std::string record, tls13::ContentType want = tls13::application_data)
    {
        tls13::ContentType type{};
        std::size_t size = 0;
        if (!receiver_.open(record.data(), record.size(), type, size)) {
            return "<refused>";
        }
        EXPECT_EQ(type, want);
        return record.substr(tls13::header_size, size);
    }

    Tls13Direction sender_;
    Tls13Direction receiver_;
};

TEST_P(Tls13RecordsTest, RecordsOpenInOrderWithTheirTypes)
{
    const std::string first = seal("<presence/>");
    ASSERT_EQ(first.size(), 11 + tls13::overhead);
    EXPECT_EQ(first.substr(0, 3), std::string("\x17\x03\x03", 3));  // outer type and version
    EXPECT_EQ((static_cast<unsigned char>(first[3]) << 8) | static_cast<unsigned char>(first[4]),
              11 + 1 + 16);
    EXPECT_EQ(first.find("<presence/>"), std::string::npos) << "the content is encrypted";
    const std::string alert = seal(std::string("\x01\x00", 2), tls13::alert);
    const std::string empty = seal("");
    EXPECT_EQ(sender_.sequence(), 3u);
    EXPECT_EQ(open(first), "<presence/>");
    EXPECT_EQ(open(alert, tls13::alert), std::string("\x01\x00", 2));
    EXPECT_EQ(open(empty), "");
    EXPECT_EQ(receiver_.sequence(), 3u);
}

TEST_P(Tls13RecordsTest, ARecordOutOfOrderOrAlteredDoesNotOpen)
{
    const std::string first = seal("one");
    const std::string second = seal("two");
    EXPECT_EQ(open(second), "<refused>") << "sealed under sequence number 1, opened as 0";
    EXPECT_EQ(receiver_.sequence(), 0u) << "a refused record does not count";
    for (std::size_t i = 0; i < first.size(); ++i) {  // header (the AAD), body, tag
        std::string altered = first;
        altered[i] = static_cast<char>(altered[i] ^ 0x01);
        EXPECT_EQ(open(altered), "<refused>") << "byte " << i;
    }
    EXPECT_EQ(open(first), "one");
    EXPECT_EQ(open(second), "two");
}

TEST_P(Tls13RecordsTest, KeyUpdatesMustHappenOnBothSides)
{
    ASSERT_EQ(open(seal("before")), "before");
    ASSERT_TRUE(sender_.update());
    EXPECT_EQ(sender_.sequence(), 0u);
    const std::string after = seal("after");
    EXPECT_EQ(open(after), "<refused>") << "the receiver still has the old key";
    ASSERT_TRUE(receiver_.update());
    EXPECT_EQ(open(after), "after");
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(sender_.update());
        ASSERT_TRUE(receiver_.update());
    }
    EXPECT_EQ(open(seal(std::string(tls13::max_plaintext, 'x'))),
              std::string(tls13::max_plaintext, 'x'));
}

TEST_P(Tls13RecordsTest, StartsAtTheGivenSequenceNumber)
{
    Tls13Direction late;
    std::vector<unsigned char> secret(GetParam().secret_size, 9);
    ASSERT_TRUE(late.init(GetParam().suite, secret, 2));
    ASSERT_TRUE(receiver_.init(GetParam().suite, secret, 0));
    std::string record(3 + tls13::overhead, '\0');
    record.resize(late.seal(tls13::application_data, std::string("abc"), record.data()));
    EXPECT_EQ(open(record), "<refused>");
    ASSERT_TRUE(receiver_.init(GetParam().suite, secret, 2));
    EXPECT_EQ(open(record), "abc");
}

TEST_P(Tls13RecordsTest, ASecretOfTheWrongSizeIsRefused)
{
    Tls13Direction d;
    std::vector<unsigned char> secret(GetParam().secret_size + 1, 1);
    EXPECT_FALSE(d.init(GetParam().suite, secret, 0));
}

// The thread's cipher contexts are shared by its sessions and keyed for every record; the
// last key must not stay in them after its session is over.
TEST_P(Tls13RecordsTest, ADirectionThatEndsLeavesNoKeyInTheThreadsContexts)
{
    {
        Tls13Direction sender;
        Tls13Direction receiver;
        std::vector<unsigned char> secret(GetParam().secret_size, 5);
        ASSERT_TRUE(sender.init(GetParam().suite, secret, 0));
        ASSERT_TRUE(receiver.init(GetParam().suite, secret, 0));
        std::string record(3 + tls13::overhead, '\0');
        record.resize(sender.seal(tls13::application_data, std::string("abc"), record.data()));
        tls13::ContentType type{};
        std::size_t size = 0;
        ASSERT_TRUE(receiver.open(record.data(), record.size(), type, size));
        EXPECT_EQ(tls13_keyed_contexts(), 2u) << "one to seal, one to open, both taken over";
    }
    EXPECT_EQ(tls13_keyed_contexts(), 0u);
}

// A session whose records used the contexts last ends and clears them; the others key every
// record, so theirs still seal and open.
TEST_P(Tls13RecordsTest, RecordsStillSealAndOpenAfterAnotherDirectionEnds)
{
    ASSERT_EQ(open(seal("one")), "one");
    {
        Tls13Direction other_sender;
        Tls13Direction other_receiver;
        std::vector<unsigned char> secret(GetParam().secret_size, 3);
        ASSERT_TRUE(other_sender.init(GetParam().suite, secret, 0));
        ASSERT_TRUE(other_receiver.init(GetParam().suite, secret, 0));
        std::string record(tls13::overhead, '\0');
        record.resize(other_sender.seal(tls13::application_data, std::string(), record.data()));
        tls13::ContentType type{};
        std::size_t size = 0;
        ASSERT_TRUE(other_receiver.open(record.data(), record.size(), type, size));
    }
    EXPECT_EQ(tls13_keyed_contexts(), 0u);
    EXPECT_EQ(open(seal("two")), "two");
    EXPECT_EQ(open(seal(std::string(tls13::max_plaintext, 'y'))),
              std::string(tls13::max_plaintext, 'y'));
}

INSTANTIATE_TEST_SUITE_P(Suites, Tls13RecordsTest, ::testing::ValuesIn(suites),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Tls13Suite, FromIanaCodePoints)
{
    Tls13Suite suite{};
    ASSERT_TRUE(tls13_suite_from_id(0x1301, suite));
    EXPECT_EQ(suite, Tls13Suite::aes_128_gcm_sha256);
    ASSERT_TRUE(tls13_suite_from_id(0x1302, suite));
    EXPECT_EQ(suite, Tls13Suite::aes_256_gcm_sha384);
    ASSERT_TRUE(tls13_suite_from_id(0x1303, suite));
    EXPECT_EQ(suite, Tls13Suite::chacha20_poly1305);
    EXPECT_FALSE(tls13_suite_from_id(0x1304, suite));  // CCM: not offered
    EXPECT_FALSE(tls13_suite_from_id(0xc02f, suite));  // a TLS 1.2 suite
}

}  // namespace
}  // namespace chorus::net
