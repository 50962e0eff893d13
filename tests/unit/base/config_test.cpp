// Tests for src/base/config.cpp: TOML loading (unknown keys, wrong types) and validation.
#include "base/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace chorus {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "chorus-config-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    Result<Config, std::string> load(const std::string& text)
    {
        std::string path = (fs::path(dir_) / "chorus.toml").string();
        std::ofstream(path) << text;
        return load_config(path);
    }

    // The error of loading text, or "" when it loaded.
    std::string load_error(const std::string& text)
    {
        auto r = load(text);
        return r ? std::string() : r.error();
    }

    std::string dir_;
};

TEST_F(ConfigTest, EmptyFileGivesDefaults)
{
    auto config = load("");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->domains, std::vector<std::string>{"localhost"});
    EXPECT_EQ(config->c2s_port, 5222);
    EXPECT_EQ(config->limits.max_stanza_bytes, 256u * 1024);
    EXPECT_EQ(config->storage_backend, "sqlite");
    EXPECT_TRUE(validate_config(*config).has_value());
}

TEST_F(ConfigTest, ConnectionHygieneIsOnByDefault)
{
    const Config c;
    EXPECT_EQ(c.negotiation_timeout_s, 30);
    EXPECT_EQ(c.limits.max_stanza_bytes_unauthenticated, 16u * 1024);
    EXPECT_EQ(c.limits.max_connections_per_ip, 32);
    EXPECT_TRUE(c.limits.exempt_loopback);
    EXPECT_EQ(c.ping_interval_s, 300);
    EXPECT_EQ(c.ping_timeout_s, 60);
}

TEST_F(ConfigTest, StreamManagementResumesFor300SecondsByDefault)
{
    const Config c;
    EXPECT_TRUE(c.sm_enabled);
    EXPECT_EQ(c.sm_resume_timeout_s, 300);  // the issue's default
    EXPECT_EQ(c.sm_request_after, 5);
    EXPECT_EQ(c.sm_request_interval_s, 30);
    EXPECT_EQ(c.sm_max_queue, 500);
}

TEST_F(ConfigTest, DefaultsAreValid)
{
    auto r = validate_config(Config{});
    EXPECT_TRUE(r.has_value()) << r.error();
}

TEST_F(ConfigTest, ReadsEveryOption)
{
    auto config = load(R"(
domains = ["example.com", "example.org"]
data_dir = "/var/lib/chorus"
log_level = "debug"
threads = 4
scram_iterations = 10000
allow_registration = true
message_to_bare = "all"
mam_default = "roster"
archive_transient = true

[c2s]
bind = "127.0.0.1"
port = 15222
direct_tls_port = 0
require_tls = false
allow_plaintext_on_loopback = true
negotiation_timeout = 10
ping_interval = 120
ping_timeout = 20

[sm]
enabled = false
resume_timeout = 60
request_after = 10
request_interval = 15
max_queue = 200

[tls]
certificate = "/etc/chorus/cert.pem"
private_key = "/etc/chorus/key.pem"

[limits]
max_stanza_bytes = 65536
max_depth = 16
max_attributes = 32
max_auth_failures = 5
max_sessions_per_account = 8
max_connections_per_ip = 100
exempt_loopback = false
max_stanza_bytes_unauthenticated = 8192
write_high_watermark = 2097152

[offline]
max_messages = 50
max_age_days = 7

[storage]
backend = "sqlite"
durability = "power"
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    const Config& c = *config;
    EXPECT_EQ(c.domains, (std::vector<std::string>{"example.com", "example.org"}));
    EXPECT_EQ(c.data_dir, "/var/lib/chorus");
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.threads, 4);
    EXPECT_EQ(c.scram_iterations, 10000);
    EXPECT_TRUE(c.allow_registration);
    EXPECT_EQ(c.message_to_bare, "all");
    EXPECT_EQ(c.mam_default, "roster");
    EXPECT_TRUE(c.archive_transient);
    EXPECT_EQ(c.bind_address, "127.0.0.1");
    EXPECT_EQ(c.c2s_port, 15222);
    EXPECT_EQ(c.c2s_direct_tls_port, 0);
    EXPECT_FALSE(c.require_tls);
    EXPECT_TRUE(c.allow_plaintext_on_loopback);
    EXPECT_EQ(c.certificate, "/etc/chorus/cert.pem");
    EXPECT_EQ(c.private_key, "/etc/chorus/key.pem");
    EXPECT_EQ(c.limits.max_stanza_bytes, 65536u);
    EXPECT_EQ(c.limits.max_depth, 16);
    EXPECT_EQ(c.limits.max_attributes, 32);
    EXPECT_EQ(c.limits.max_auth_failures, 5);
    EXPECT_EQ(c.limits.max_sessions_per_account, 8);
    EXPECT_EQ(c.limits.max_connections_per_ip, 100);
    EXPECT_FALSE(c.limits.exempt_loopback);
    EXPECT_EQ(c.limits.max_stanza_bytes_unauthenticated, 8192u);
    EXPECT_EQ(c.negotiation_timeout_s, 10);
    EXPECT_EQ(c.ping_interval_s, 120);
    EXPECT_EQ(c.ping_timeout_s, 20);
    EXPECT_EQ(c.limits.write_high_watermark, 2097152u);
    EXPECT_EQ(c.offline_max_messages, 50u);
    EXPECT_EQ(c.offline_max_age_days, 7);
    EXPECT_EQ(c.storage_backend, "sqlite");
    EXPECT_EQ(c.storage_durability, "power");
    EXPECT_FALSE(c.sm_enabled);
    EXPECT_EQ(c.sm_resume_timeout_s, 60);
    EXPECT_EQ(c.sm_request_after, 10);
    EXPECT_EQ(c.sm_request_interval_s, 15);
    EXPECT_EQ(c.sm_max_queue, 200);
    auto valid = validate_config(c);
    EXPECT_TRUE(valid.has_value()) << valid.error();
}

TEST_F(ConfigTest, MissingFileIsAnError)
{
    auto r = load_config((fs::path(dir_) / "absent.toml").string());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().find("absent.toml"), std::string::npos) << r.error();
}

TEST_F(ConfigTest, SyntaxErrorNamesLine)
{
    std::string error = load_error("threads = 2\nlog_level = \n");
    EXPECT_NE(error.find("chorus.toml:2:"), std::string::npos) << error;
}

struct LoadRow {
    const char* name;
    const char* toml;
    const char* error_part;  // must appear in the error
};

const LoadRow load_rows[] = {
    {"UnknownTopLevelKey", "thread = 2", "unknown option 'thread'"},
    {"UnknownKeyInTable", "[limits]\nmax_stanza_byte = 20000",
     "unknown option 'limits.max_stanza_byte'"},
    {"UnknownTable", "[s2s]\nport = 5269", "unknown option 's2s'"},
    {"NestedTable", "[limits.extra]\nx = 1", "unknown option 'limits.extra'"},
    {"UnknownKeyHasLine", "threads = 2\n\nbogus = 1", "chorus.toml:3: unknown option 'bogus'"},
    {"IntAsString", "threads = \"4\"", "threads: expected an integer"},
    {"IntAsFloat", "[c2s]\nport = 5222.0", "c2s.port: expected an integer"},
    {"BoolAsString", "allow_registration = \"yes\"", "allow_registration: expected true or false"},
    {"StringAsInt", "log_level = 3", "log_level: expected a string"},
    {"DomainsNotArray", "domains = \"example.com\"", "domains: expected an array of strings"},
    {"DomainsMixed", "domains = [\"example.com\", 3]", "domains: expected an array of strings"},
    {"TableAsValue", "c2s = 5222", "c2s: expected a table"},
    {"IntOutOfRange", "threads = 9999999999", "threads: out of range"},
    {"NegativeSize", "[limits]\nmax_stanza_bytes = -1",
     "limits.max_stanza_bytes: must not be negative"},
};

class LoadConfigErrors : public ConfigTest, public testing::WithParamInterface<LoadRow> {};

TEST_P(LoadConfigErrors, NamesTheOption)
{
    std::string error = load_error(GetParam().toml);
    EXPECT_NE(error.find(GetParam().error_part), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(Rows, LoadConfigErrors, testing::ValuesIn(load_rows),
                         [](const auto& info) { return std::string(info.param.name); });

struct ValidateRow {
    const char* name;
    void (*change)(Config&);
    const char* error;  // nullptr: still valid
};

const ValidateRow validate_rows[] = {
    {"StanzaFloor", [](Config& c) { c.limits.max_stanza_bytes = 9999; },
     "limits.max_stanza_bytes: must be at least 10000"},
    {"StanzaFloorExact", [](Config& c) { c.limits.max_stanza_bytes = 10000; }, nullptr},
    {"PortTooHigh", [](Config& c) { c.c2s_port = 65536; }, "c2s.port: must be between 0 and 65535"},
    {"PortNegative", [](Config& c) { c.c2s_direct_tls_port = -1; },
     "c2s.direct_tls_port: must be between 0 and 65535"},
    {"PortZeroIsEphemeral", [](Config& c) { c.c2s_port = 0; }, nullptr},
    {"SamePorts", [](Config& c) { c.c2s_direct_tls_port = c.c2s_port; },
     "c2s.direct_tls_port: must differ from c2s.port"},
    {"ScramFloor", [](Config& c) { c.scram_iterations = 4095; },
     "scram_iterations: must be at least 4096"},
    {"NoThreads", [](Config& c) { c.threads = 0; }, "threads: must be between 1 and 64"},
    {"TooManyThreads", [](Config& c) { c.threads = 65; }, "threads: must be between 1 and 64"},
    {"MessageToBare", [](Config& c) { c.message_to_bare = "first"; },
     "message_to_bare: must be one of highest, all (got 'first')"},
    {"MamDefault", [](Config& c) { c.mam_default = "sometimes"; },
     "mam_default: must be one of always, never, roster"},
    {"LogLevel", [](Config& c) { c.log_level = "loud"; }, "log_level: must be one of"},
    {"StorageBackend", [](Config& c) { c.storage_backend = "postgres"; },
     "storage.backend: must be one of sqlite (got 'postgres')"},
    {"StorageDurability", [](Config& c) { c.storage_durability = "disk"; },
     "storage.durability: must be one of process, power"},
    {"NoDomains", [](Config& c) { c.domains.clear(); }, "domains: at least one domain is required"},
    {"BadDomain", [](Config& c) { c.domains = {"exa mple.com"}; },
     "domains: 'exa mple.com' is not a valid domain name"},
    {"UnpreparedDomain", [](Config& c) { c.domains = {"Example.COM"}; },
     "domains: write 'Example.COM' as 'example.com'"},
    {"DuplicateDomain",
     [](Config& c) {
         c.domains = {"a.example", "a.example"};
     },
     "domains: 'a.example' is listed twice"},
    {"IdnDomain", [](Config& c) { c.domains = {"äö.example"}; }, nullptr},
    {"BindNotIp", [](Config& c) { c.bind_address = "localhost"; },
     "c2s.bind: 'localhost' is not an IP address"},
    {"BindIpv6", [](Config& c) { c.bind_address = "::"; }, nullptr},
    {"CertWithoutKey", [](Config& c) { c.certificate = "cert.pem"; },
     "tls.private_key: required when tls.certificate is set"},
    {"KeyWithoutCert", [](Config& c) { c.private_key = "key.pem"; },
     "tls.certificate: required when tls.private_key is set"},
    {"Depth", [](Config& c) { c.limits.max_depth = 2; }, "limits.max_depth: must be at least 3"},
    {"AuthFailures", [](Config& c) { c.limits.max_auth_failures = 0; },
     "limits.max_auth_failures: must be at least 1"},
    {"Sessions", [](Config& c) { c.limits.max_sessions_per_account = 0; },
     "limits.max_sessions_per_account: must be at least 1"},
    {"ConnectionsPerIp", [](Config& c) { c.limits.max_connections_per_ip = -1; },
     "limits.max_connections_per_ip: must be at least 0"},
    {"UnauthenticatedStanza", [](Config& c) { c.limits.max_stanza_bytes_unauthenticated = 4095; },
     "limits.max_stanza_bytes_unauthenticated: must be at least 4096"},
    {"NegotiationTimeoutZero", [](Config& c) { c.negotiation_timeout_s = 0; },
     "c2s.negotiation_timeout: must be between 1 and 3600"},
    {"PingIntervalOff", [](Config& c) { c.ping_interval_s = 0; }, nullptr},
    {"PingIntervalNegative", [](Config& c) { c.ping_interval_s = -1; },
     "c2s.ping_interval: must be between 0 and 86400"},
    {"PingTimeoutZero", [](Config& c) { c.ping_timeout_s = 0; },
     "c2s.ping_timeout: must be between 1 and 3600"},
    {"SmResumptionOff", [](Config& c) { c.sm_resume_timeout_s = 0; }, nullptr},
    {"SmResumeTimeoutNegative", [](Config& c) { c.sm_resume_timeout_s = -1; },
     "sm.resume_timeout: must be between 0 and 86400"},
    {"SmRequestAfterZero", [](Config& c) { c.sm_request_after = 0; },
     "sm.request_after: must be between 1 and 10000"},
    {"SmRequestIntervalZero", [](Config& c) { c.sm_request_interval_s = 0; },
     "sm.request_interval: must be between 1 and 3600"},
    {"SmQueueTooSmall", [](Config& c) { c.sm_max_queue = 5; },
     "sm.max_queue: must be between 10 and 100000"},
    {"SmQueueBelowRequestAfter",
     [](Config& c) {
         c.sm_request_after = 100;
         c.sm_max_queue = 50;
     },
     "sm.max_queue: must be at least sm.request_after"},
    {"OfflineAge", [](Config& c) { c.offline_max_age_days = 0; },
     "offline.max_age_days: must be at least 1"},
    {"EmptyDataDir", [](Config& c) { c.data_dir.clear(); }, "data_dir: must not be empty"},
};

class ValidateConfig : public testing::TestWithParam<ValidateRow> {};

TEST_P(ValidateConfig, MatchesRow)
{
    Config config;
    GetParam().change(config);
    auto r = validate_config(config);
    if (GetParam().error == nullptr) {
        EXPECT_TRUE(r.has_value()) << r.error();
    } else {
        ASSERT_FALSE(r.has_value());
        EXPECT_NE(r.error().find(GetParam().error), std::string::npos) << r.error();
    }
}

INSTANTIATE_TEST_SUITE_P(Rows, ValidateConfig, testing::ValuesIn(validate_rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(ConfigTest, ReadsModulesDisabled)
{
    auto config = load("modules_disabled = [\"imng\", \"vcard\"]\n");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->modules_disabled, (std::vector<std::string>{"imng", "vcard"}));
    EXPECT_TRUE(Config{}.modules_disabled.empty());
}

}  // namespace
}  // namespace chorus
