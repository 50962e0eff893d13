// Tests for src/modules/pubsub/node_config.cpp: storage form, data forms (XEP-0060 §16.4).
#include "modules/pubsub/node_config.h"

#include <gtest/gtest.h>

#include "stanza/namespaces.h"

namespace chorus::modules::pubsub {
namespace {

TEST(NodeConfig, SerializedConfigReadsBackEqual)
{
    NodeConfig c;
    c.max_is_max = true;
    c.access_model = AccessModel::whitelist;
    c.persist_items = false;
    c.send_last = SendLast::never;
    c.roster_groups_allowed = {"Friends", "Line\nbreak \\ slash"};
    c.title = "Bookmarks";
    EXPECT_EQ(parse_config(serialize_config(c)), c);
}

TEST(NodeConfig, UnknownStoredFieldsAndBadValuesKeepDefaults)
{
    const auto c = parse_config("pubsub#future=1\npubsub#max_items=abc\npubsub#title=t\n");
    EXPECT_EQ(c.max_items, NodeConfig{}.max_items);
    EXPECT_EQ(c.title, "t");
}

TEST(NodeConfig, FormShowsEveryFieldWithItsValue)
{
    NodeConfig c;
    c.access_model = AccessModel::open;
    const auto x = config_form(c, Limits{});
    bool found = false;
    for (const auto& f : x.nodes()) {
        if (f.attr("var") == "pubsub#access_model") {
            found = true;
            EXPECT_EQ(f.attr("type"), "list-single");
            EXPECT_EQ(f.child_text("value", ns::data_forms), "open");
        }
    }
    EXPECT_TRUE(found);
}

TEST(NodeConfig, ApplyFormRejectsOutOfRangeMaxItemsAndChangesNothing)
{
    NodeConfig c;
    xml::Element x("x", std::string(ns::data_forms));
    auto& title = x.add_child("field", std::string(ns::data_forms));
    title.set_attr("var", "pubsub#title");
    title.add_child("value", std::string(ns::data_forms)).add_text("new");
    auto& max = x.add_child("field", std::string(ns::data_forms));
    max.set_attr("var", "pubsub#max_items");
    max.add_child("value", std::string(ns::data_forms)).add_text("1000");
    auto error = apply_form(x, c, Limits{.max_items = 10});
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->condition, Condition::not_acceptable);
    EXPECT_EQ(c.title, "") << "a rejected form changes nothing";
}

}  // namespace
}  // namespace chorus::modules::pubsub
