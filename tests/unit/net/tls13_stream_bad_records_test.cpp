// Tests for src/net/tls13_stream.cpp: records a client may not send (RFC 8446 sections 5 and
// 6) end the stream with the alert the RFC names, and so does a flood of records that carry
// no data; a close_notify is answered with one.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>

#include "net/tls13_client.h"
#include "net/tls13_records.h"
#include "net/tls13_stream.h"

namespace chorus::net {
namespace {

using namespace chorus::net::testing;

TEST_F(Tls13StreamTest, AlteredRecordFailsAndTheClientHearsBadRecordMac)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    std::string record = seal(forger, tls13::application_data, "<presence/>");
    record[8] = static_cast<char>(record[8] ^ 0x20);
    send_raw(record);
    std::string got;
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_TRUE(got.empty());
    EXPECT_NE(server_->error().find("authentication"), std::string::npos) << server_->error();
    EXPECT_EQ(alert_at_client(), SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
    std::size_t n = 0;
    char byte;
    EXPECT_EQ(server_->read(&byte, 1, n), Io::failed) << "a failed stream stays failed";
    EXPECT_EQ(server_->write("x", 1, n), Io::failed);
}

struct Forbidden {
    const char* name;
    tls13::ContentType type;
    const char* content;
    std::size_t size;
    const char* error;
    int alert;  // what the client hears
};

void PrintTo(const Forbidden& f, std::ostream* out)
{
    *out << f.name;
}

class Tls13ForbiddenTest : public Tls13StreamTest,
                           public ::testing::WithParamInterface<Forbidden> {};

const Forbidden forbidden[] = {
    {"NewSessionTicketFromTheClient", tls13::handshake, "\x04\x00\x00\x00", 4,
     "after the handshake", SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    {"KeyUpdateNotEndingItsRecord", tls13::handshake, "\x18\x00\x00\x01\x00\x18", 6,
     "end of its record", SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    {"KeyUpdateWithABadRequest", tls13::handshake, "\x18\x00\x00\x01\x02", 5, "malformed",
     SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER},
    {"ChangeCipherSpecContent", tls13::ContentType{20}, "\x01", 1, "unknown content type",
     SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    {"AlertOfThreeBytes", tls13::alert, "\x02\x00\x00", 3, "malformed TLS alert",
     SSL_R_TLSV1_ALERT_DECODE_ERROR},
    // RFC 8446 5.4: zero-length fragments of Handshake and Alert types are not allowed.
    {"EmptyHandshakeRecord", tls13::handshake, "", 0, "zero-length",
     SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    {"EmptyAlertRecord", tls13::alert, "", 0, "zero-length", SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    // A whole message, not the start of one: refused without waiting for a fifth byte.
    {"KeyUpdateOfLengthZero", tls13::handshake, "\x18\x00\x00\x00", 4, "malformed",
     SSL_R_TLSV1_ALERT_DECODE_ERROR},
    {"KeyUpdateOfLengthTwo", tls13::handshake, "\x18\x00\x00\x02\x00\x00", 6, "malformed",
     SSL_R_TLSV1_ALERT_DECODE_ERROR},
};

TEST_P(Tls13ForbiddenTest, ARecordTheClientMayNotSendEndsTheStream)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    send_raw(seal(forger, GetParam().type, std::string(GetParam().content, GetParam().size)));
    std::string got;
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_NE(server_->error().find(GetParam().error), std::string::npos) << server_->error();
    EXPECT_EQ(alert_at_client(), GetParam().alert);
}

INSTANTIATE_TEST_SUITE_P(Records, Tls13ForbiddenTest, ::testing::ValuesIn(forbidden),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(Tls13StreamTest, UnprotectedOrOversizedRecordsEndTheStream)
{
    for (const auto& [bytes, error] :
         {std::pair{std::string("\x16\x03\x03\x00\x04\x14\x00\x00\x00", 9), "unprotected"},
          std::pair{std::string("\x17\x03\x03\x42\x01", 5), "longer than"}}) {
        open();
        ASSERT_TRUE(handshake());
        send_raw(bytes);
        std::string got;
        EXPECT_EQ(read_at_server(got), Io::failed);
        EXPECT_NE(server_->error().find(error), std::string::npos) << server_->error();
    }
}

TEST_F(Tls13StreamTest, AFatalAlertFromTheClientEndsTheStreamWithItsCode)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    send_raw(seal(forger, tls13::alert, std::string("\x02\x28", 2)));  // handshake_failure
    std::string got;
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_NE(server_->error().find("alert 40"), std::string::npos) << server_->error();
}

// RFC 8446 5.4: "The length [...] of the full encoded TLSInnerPlaintext MUST NOT exceed
// 2^14 + 1 octets", padding included: one byte of data padded past it is an overflow.
TEST_F(Tls13StreamTest, PaddingPastTheInnerPlaintextLimitGetsRecordOverflow)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    // Sealed as type 0, "x", 23 and zeros open as application data "x", then padding.
    const auto padded = [&](std::size_t inner_size) {
        std::string inner = "x\x17" + std::string(inner_size - 3, '\0');
        return seal(forger, tls13::ContentType{}, inner);
    };
    send_raw(padded(tls13::max_plaintext + 1));  // the largest allowed
    std::string got;
    EXPECT_EQ(read_at_server(got, 1), Io::done) << server_->error();
    EXPECT_EQ(got, "x");
    send_raw(padded(tls13::max_plaintext + 2));
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_EQ(got, "x");
    EXPECT_NE(server_->error().find("longer than 2^14 + 1"), std::string::npos) << server_->error();
    EXPECT_EQ(alert_at_client(), SSL_R_TLSV1_ALERT_RECORD_OVERFLOW);
}

// Records that carry no application data cost the thread as much as those that do; a client
// sending nothing else would hold it (OpenSSL: MAX_EMPTY_RECORDS).
enum class NoData { empty_application_data, user_canceled, key_update, in_turn };

struct Flood {
    const char* name;
    NoData kind;
};

void PrintTo(const Flood& f, std::ostream* out)
{
    *out << f.name;
}

class Tls13FloodTest : public Tls13StreamTest, public ::testing::WithParamInterface<Flood> {
protected:
    // count records of the row's kind, sealed by forger.
    std::string no_data(Tls13Direction& forger, int count)
    {
        std::string records;
        for (int i = 0; i < count; ++i) {
            NoData kind = GetParam().kind;
            if (kind == NoData::in_turn) {
                kind = static_cast<NoData>(i % 3);
            }
            switch (kind) {
                case NoData::empty_application_data:
                    records += seal(forger, tls13::application_data, "");
                    break;
                case NoData::user_canceled:
                    records += seal(forger, tls13::alert, std::string("\x01\x5a", 2));
                    break;
                default:
                    records +=
                        seal(forger, tls13::handshake, std::string("\x18\x00\x00\x01\x00", 5));
                    EXPECT_TRUE(forger.update());
                    break;
            }
        }
        return records;
    }
};

const Flood floods[] = {
    {"EmptyApplicationData", NoData::empty_application_data},
    {"UserCanceledWarnings", NoData::user_canceled},
    {"KeyUpdatesNotRequested", NoData::key_update},
    {"AllThreeInTurn", NoData::in_turn},
};

TEST_P(Tls13FloodTest, ThirtyTwoRecordsWithoutDataInARowAreTheMost)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    std::string records;
    for (int round = 0; round < 3; ++round) {  // each record with data starts the count again
        records += no_data(forger, Tls13Stream::max_records_without_data);
        records += seal(forger, tls13::application_data, "<iq/>");
    }
    send_raw(records);
    std::string got;
    EXPECT_EQ(read_at_server(got, 15), Io::done) << server_->error();
    EXPECT_EQ(got, "<iq/><iq/><iq/>");
    // And one more is one too many, however many follow.
    std::string flood = no_data(forger, Tls13Stream::max_records_without_data + 1);
    flood += no_data(forger, 200);
    send_raw(flood);
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_NE(server_->error().find("without data"), std::string::npos) << server_->error();
    EXPECT_EQ(alert_at_client(), SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE);
}

INSTANTIATE_TEST_SUITE_P(Kinds, Tls13FloodTest, ::testing::ValuesIn(floods),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace chorus::net
