// Tests for src/modules/pubsub/engine.cpp: publish, items, max_items, publish-options
// preconditions, access models, retract notifications, limits (XEP-0060 §6–8).
#include "modules/pubsub/engine.h"

#include <gtest/gtest.h>

#include "modules/module_test_server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "storage/sqlite/sqlite_pubsub.h"
#include "storage/sqlite/temp_database.h"

namespace chorus::modules::pubsub {
namespace {

using storage::sqlite::testing::TempDatabase;

const std::string juliet = "juliet@localhost";

xml::Element payload(std::string_view text)
{
    auto e = parse_stanza_bytes(text);
    EXPECT_TRUE(e.has_value()) << text;
    return e.value_or(xml::Element());
}

/// A submitted form with (var, value) fields.
xml::Element form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields)
{
    xml::Element x("x", std::string(ns::data_forms));
    x.set_attr("type", "submit");
    for (const auto& [var, value] : fields) {
        auto& f = x.add_child("field", std::string(ns::data_forms));
        f.set_attr("var", var);
        f.add_child("value", std::string(ns::data_forms)).add_text(value);
    }
    return x;
}

std::string app_condition(const StanzaError& e)
{
    return e.app_ns == ns::pubsub_errors ? e.app_name : std::string();
}

class EngineTest : public ::testing::Test {
protected:
    EngineTest() : store_(db_.db()), engine_(make(Limits{})) {}

    std::unique_ptr<Engine> make(Limits limits)
    {
        return std::make_unique<Engine>(
            store_, clock_, limits,
            ServiceRules{.pep = true,
                         .relation =
                             [this](std::string_view, const Jid& who) {
                                 return who.bare_view() == "romeo@localhost" ? romeo_ : Relation{};
                             },
                         .may_create = nullptr,
                         .default_access = AccessModel::presence});
    }

    Jid owner() const { return *Jid::parse(juliet + "/balcony"); }
    Jid romeo() const { return *Jid::parse("romeo@localhost/orchard"); }

    void publish(std::string_view node, std::string id, const xml::Element* options = nullptr)
    {
        auto p = payload("<x xmlns='urn:test'>" + id + "</x>");
        auto r = engine_->publish(juliet, node, owner(), id, &p, options);
        ASSERT_TRUE(r.has_value()) << r.error().text;
    }

    std::vector<std::string> ids(std::string_view node)
    {
        auto r = engine_->items(juliet, node, owner(), {}, 0);
        std::vector<std::string> out;
        if (r) {
            for (const auto& i : *r) {
                out.push_back(i.id);
            }
        }
        return out;
    }

    TempDatabase db_;
    storage::sqlite::SqlitePubSub store_;
    chorus::testing::FakeClock clock_;
    Relation romeo_;
    std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, PublishAutoCreatesTheNodeWithDefaults)
{
    publish("urn:test", "a");
    auto config = engine_->node_config(juliet, "urn:test");
    ASSERT_TRUE(config.has_value());
    EXPECT_EQ(config->access_model, AccessModel::presence) << "XEP-0163 §4.4: presence default";
    EXPECT_EQ(ids("urn:test"), std::vector<std::string>{"a"});
}

TEST_F(EngineTest, MaxItemsKeepsTheNewestAndRepublishingAnIdMakesItNewest)
{
    const auto options = form({{"pubsub#max_items", "2"}});
    publish("n", "a", &options);
    publish("n", "b");
    publish("n", "c");
    EXPECT_EQ(ids("n"), (std::vector<std::string>{"c", "b"}));
    publish("n", "b");
    EXPECT_EQ(ids("n"), (std::vector<std::string>{"b", "c"}));
    auto last = engine_->items(juliet, "n", owner(), {}, 1);
    ASSERT_TRUE(last.has_value());
    ASSERT_EQ(last->size(), 1u);
    EXPECT_EQ(last->front().id, "b");
    auto by_id = engine_->items(juliet, "n", owner(), {"c", "zz"}, 0);
    ASSERT_TRUE(by_id.has_value());
    ASSERT_EQ(by_id->size(), 1u);
    EXPECT_EQ(by_id->front().id, "c");
}

TEST_F(EngineTest, MaxItemsMaxMeansTheConfiguredLimit)
{
    engine_ = make(Limits{.max_items = 3});
    const auto options = form({{"pubsub#max_items", "max"}});
    for (std::string id : {"a", "b", "c", "d"}) {
        publish("urn:xmpp:bookmarks:1", id, &options);
    }
    EXPECT_EQ(ids("urn:xmpp:bookmarks:1"), (std::vector<std::string>{"d", "c", "b"}));
    const auto three = form({{"pubsub#max_items", "3"}});
    publish("urn:xmpp:bookmarks:1", "e", &three);  // 'max' and 3 are the same precondition
}

TEST_F(EngineTest, ConfigureToFewerItemsTrimsNow)
{
    const auto options = form({{"pubsub#max_items", "10"}});
    for (std::string id : {"a", "b", "c"}) {
        publish("n", id, &options);
    }
    auto r = engine_->configure(juliet, "n", owner(), form({{"pubsub#max_items", "1"}}));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(ids("n"), std::vector<std::string>{"c"});
}

struct PreconditionRow {
    const char* name;
    std::pair<std::string_view, std::string_view> created_with;
    std::pair<std::string_view, std::string_view> asked;
    bool holds;
};
const PreconditionRow precondition_rows[] = {
    {"same_access_model", {"pubsub#access_model", "open"}, {"pubsub#access_model", "open"}, true},
    {"other_access_model",
     {"pubsub#access_model", "presence"},
     {"pubsub#access_model", "open"},
     false},
    {"bool_spellings", {"pubsub#persist_items", "true"}, {"pubsub#persist_items", "1"}, true},
    {"other_bool", {"pubsub#persist_items", "true"}, {"pubsub#persist_items", "false"}, false},
    {"max_items_number", {"pubsub#max_items", "5"}, {"pubsub#max_items", "5"}, true},
    {"max_items_other", {"pubsub#max_items", "5"}, {"pubsub#max_items", "6"}, false},
    {"unknown_field_ignored", {"pubsub#title", "x"}, {"pubsub#x-unknown", "y"}, true},
    {"bad_value", {"pubsub#title", "x"}, {"pubsub#access_model", "nonsense"}, false},
    {"send_last",
     {"pubsub#send_last_published_item", "never"},
     {"pubsub#send_last_published_item", "never"},
     true},
};
class Preconditions : public EngineTest, public ::testing::WithParamInterface<PreconditionRow> {};
TEST_P(Preconditions, HoldOrConflict)
{
    const auto& row = GetParam();
    const auto created = form({row.created_with});
    publish("n", "1", &created);
    const auto asked = form({row.asked});
    auto p = payload("<x xmlns='urn:test'/>");
    auto r = engine_->publish(juliet, "n", owner(), "2", &p, &asked);
    EXPECT_EQ(r.has_value(), row.holds);
    if (!r) {
        EXPECT_EQ(r.error().condition, Condition::conflict);
        EXPECT_EQ(app_condition(r.error()), "precondition-not-met");
    }
}
INSTANTIATE_TEST_SUITE_P(Rows, Preconditions, ::testing::ValuesIn(precondition_rows),
                         [](const auto& info) { return std::string(info.param.name); });

struct AccessRow {
    const char* name;
    std::string_view model;
    Relation romeo;
    std::optional<Condition> error;
    std::string_view app;
};
const AccessRow access_rows[] = {
    {"open_stranger", "open", {}, std::nullopt, ""},
    {"presence_subscribed",
     "presence",
     {.presence_subscribed = true, .in_roster = true, .groups = {}},
     std::nullopt,
     ""},
    {"presence_stranger",
     "presence",
     {},
     Condition::not_authorized,
     "presence-subscription-required"},
    {"presence_in_roster_without_from",
     "presence",
     {.in_roster = true, .groups = {}},
     Condition::not_authorized,
     "presence-subscription-required"},
    {"roster_contact", "roster", {.in_roster = true, .groups = {}}, std::nullopt, ""},
    {"roster_stranger", "roster", {}, Condition::not_authorized, "not-in-roster-group"},
    {"whitelist_contact",
     "whitelist",
     {.presence_subscribed = true, .in_roster = true, .groups = {}},
     Condition::not_allowed,
     "closed-node"},
};
class Access : public EngineTest, public ::testing::WithParamInterface<AccessRow> {};
TEST_P(Access, ItemsFollowTheAccessModel)
{
    const auto& row = GetParam();
    romeo_ = row.romeo;
    const auto options = form({{"pubsub#access_model", row.model}});
    publish("n", "1", &options);
    auto r = engine_->items(juliet, "n", romeo(), {}, 0);
    ASSERT_EQ(r.has_value(), !row.error.has_value());
    if (!r) {
        EXPECT_EQ(r.error().condition, *row.error);
        EXPECT_EQ(app_condition(r.error()), row.app);
    }
    auto own = engine_->items(juliet, "n", owner(), {}, 0);
    EXPECT_TRUE(own.has_value()) << "the owner always reads its nodes";
}
INSTANTIATE_TEST_SUITE_P(Rows, Access, ::testing::ValuesIn(access_rows),
                         [](const auto& info) { return std::string(info.param.name); });

struct RetractRow {
    const char* name;
    std::optional<bool> notify_attr;
    std::string_view notify_retract;
    bool event;
};
const RetractRow retract_rows[] = {
    {"attr_true", true, "0", true},
    {"attr_false", false, "1", false},
    {"config_on", std::nullopt, "1", true},
    {"config_off", std::nullopt, "0", false},
};
class Retract : public EngineTest, public ::testing::WithParamInterface<RetractRow> {};
TEST_P(Retract, NotifiesPerAttributeThenConfig)
{
    const auto& row = GetParam();
    const auto options =
        form({{"pubsub#notify_retract", row.notify_retract}, {"pubsub#max_items", "10"}});
    publish("n", "1", &options);
    auto r = engine_->retract(juliet, "n", owner(), "1", row.notify_attr);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->has_value(), row.event);
    if (*r) {
        const auto* items = (*r)->event.child("items", ns::pubsub_event);
        ASSERT_NE(items, nullptr);
        EXPECT_EQ(items->child("retract", ns::pubsub_event)->attr("id"), "1");
    }
    auto again = engine_->retract(juliet, "n", owner(), "1", row.notify_attr);
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().condition, Condition::item_not_found);
}
INSTANTIATE_TEST_SUITE_P(Rows, Retract, ::testing::ValuesIn(retract_rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(EngineTest, ErrorsOfSection7And8)
{
    auto p = payload("<x xmlns='urn:test'/>");
    // Not the owner: forbidden to publish, delete, purge, configure.
    auto pub = engine_->publish(juliet, "n", romeo(), "", &p, nullptr);
    ASSERT_FALSE(pub.has_value());
    EXPECT_EQ(pub.error().condition, Condition::forbidden);
    publish("n", "1");
    EXPECT_EQ(engine_->remove(juliet, "n", romeo()).error().condition, Condition::forbidden);
    EXPECT_EQ(engine_->purge(juliet, "n", romeo()).error().condition, Condition::forbidden);
    EXPECT_EQ(engine_->configuration(juliet, "n", romeo()).error().condition, Condition::forbidden);
    // Absent node: item-not-found.
    EXPECT_EQ(engine_->items(juliet, "none", owner(), {}, 0).error().condition,
              Condition::item_not_found);
    // No payload.
    auto empty = engine_->publish(juliet, "n", owner(), "", nullptr, nullptr);
    EXPECT_EQ(app_condition(empty.error()), "payload-required");
    // Create twice: conflict.
    EXPECT_EQ(engine_->create(juliet, "n", owner(), nullptr).error().condition,
              Condition::conflict);
    // Bad configuration value: not-acceptable.
    EXPECT_EQ(engine_->configure(juliet, "n", owner(), form({{"pubsub#max_items", "-1"}}))
                  .error()
                  .condition,
              Condition::not_acceptable);
    // Unsubscribing without a subscription.
    auto unsub = engine_->unsubscribe(juliet, "n", owner(), owner());
    EXPECT_EQ(app_condition(unsub.error()), "not-subscribed");
}

TEST_F(EngineTest, LimitsOnItemSizeAndNodeCount)
{
    engine_ = make(Limits{.max_items = 10, .max_nodes = 2, .max_item_bytes = 64});
    auto big = payload("<x xmlns='urn:test'>" + std::string(100, 'a') + "</x>");
    auto r = engine_->publish(juliet, "n", owner(), "", &big, nullptr);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(app_condition(r.error()), "payload-too-big");
    publish("a", "1");
    publish("b", "1");
    auto p = payload("<x xmlns='urn:test'/>");
    auto third = engine_->publish(juliet, "c", owner(), "", &p, nullptr);
    ASSERT_FALSE(third.has_value());
    EXPECT_EQ(app_condition(third.error()), "max-nodes-exceeded");
}

TEST_F(EngineTest, SubscribersGetEventsWhileTheAccessModelAllowsThem)
{
    romeo_ = {.presence_subscribed = true, .in_roster = true, .groups = {}};
    publish("n", "1");
    ASSERT_TRUE(engine_->subscribe(juliet, "n", romeo(), romeo().bare()).has_value());
    auto p = payload("<x xmlns='urn:test'/>");
    auto r = engine_->publish(juliet, "n", owner(), "2", &p, nullptr);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->second.subscribers, std::vector<std::string>{"romeo@localhost"});
    romeo_ = {};  // the subscription to Juliet's presence is gone
    r = engine_->publish(juliet, "n", owner(), "3", &p, nullptr);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->second.subscribers.empty());
}

TEST_F(EngineTest, VolatileNodesKeepItemsInMemoryOnly)
{
    const auto options = form({{"pubsub#persist_items", "false"}});
    publish("n", "1", &options);
    EXPECT_EQ(ids("n"), std::vector<std::string>{"1"});
    auto stored = store_.items(juliet, "n", 0);
    ASSERT_TRUE(stored.has_value());
    EXPECT_TRUE(stored->empty());
}

TEST_F(EngineTest, PersistentItemsSurviveANewEngine)
{
    publish("n", "1");
    auto restarted = make(Limits{});
    auto r = restarted->items(juliet, "n", owner(), {}, 0);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(r->front().payload.text(), "1");
}

}  // namespace
}  // namespace chorus::modules::pubsub
