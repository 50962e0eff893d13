// Tests for src/storage/sqlite/archive_batch.cpp: packed entries, body sharing between
// consecutive equal stanzas, and reuse after a burst.
#include "storage/sqlite/archive_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view juliet = "juliet@capulet.lit";
constexpr std::string_view romeo = "romeo@montague.lit";

ArchiveEntry entry(std::int64_t id, std::string_view owner, std::string_view with,
                   std::string_view stanza)
{
    return {id, owner, with, id * 10, false, stanza};
}

// Each item's stanza, through its body.
std::vector<std::string> stanzas(ArchiveBatch& batch)
{
    std::vector<std::string> out;
    for (const auto& item : batch.items()) {
        out.emplace_back(batch.text(batch.bodies()[item.body].stanza));
    }
    return out;
}

TEST(ArchiveBatch, StartsEmpty)
{
    ArchiveBatch batch;
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(batch.size(), 0u);
    EXPECT_TRUE(batch.items().empty());
    EXPECT_TRUE(batch.bodies().empty());
}

TEST(ArchiveBatch, AddKeepsEveryFieldAndCopiesTheText)
{
    ArchiveBatch batch;
    {
        // The views need to live only for the call.
        std::string owner(juliet), with(romeo), stanza = "<message to='romeo'/>";
        batch.add({.id = 7,
                   .owner = owner,
                   .with = with,
                   .stamp_us = 1234,
                   .outgoing = true,
                   .stanza = stanza});
        owner.assign(owner.size(), '#');
        with.assign(with.size(), '#');
        stanza.assign(stanza.size(), '#');
    }
    batch.add(entry(8, romeo, juliet, "<message to='juliet'/>"));
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_FALSE(batch.empty());
    const auto& first = batch.items()[0];
    EXPECT_EQ(first.id, 7);
    EXPECT_EQ(first.stamp_us, 1234);
    EXPECT_TRUE(first.outgoing);
    EXPECT_EQ(batch.text(first.owner), juliet);
    EXPECT_EQ(batch.text(first.with), romeo);
    EXPECT_EQ(first.body, 0u);
    const auto& second = batch.items()[1];
    EXPECT_EQ(second.id, 8);
    EXPECT_EQ(second.stamp_us, 80);
    EXPECT_FALSE(second.outgoing);
    EXPECT_EQ(batch.text(second.owner), romeo);
    EXPECT_EQ(batch.text(second.with), juliet);
    EXPECT_EQ(second.body, 1u);
    ASSERT_EQ(batch.bodies().size(), 2u);
    EXPECT_EQ(batch.text(batch.bodies()[0].stanza), "<message to='romeo'/>");
    EXPECT_EQ(batch.bodies()[0].id, 7);
    EXPECT_EQ(batch.text(batch.bodies()[1].stanza), "<message to='juliet'/>");
    EXPECT_EQ(batch.bodies()[1].id, 8);
}

TEST(ArchiveBatch, TheRecipientsCopySharesTheSendersBody)
{
    ArchiveBatch batch;
    batch.add(entry(10, romeo, juliet, "<message id='m1'/>"));
    batch.add(entry(11, juliet, romeo, "<message id='m1'/>"));
    ASSERT_EQ(batch.size(), 2u);
    ASSERT_EQ(batch.bodies().size(), 1u);
    EXPECT_EQ(batch.items()[0].body, 0u);
    EXPECT_EQ(batch.items()[1].body, 0u);
    EXPECT_EQ(batch.text(batch.bodies()[0].stanza), "<message id='m1'/>");
    EXPECT_EQ(batch.text(batch.items()[1].owner), juliet);  // items stay apart
}

TEST(ArchiveBatch, OnlyTheImmediatelyPreviousStanzaIsShared)
{
    ArchiveBatch batch;
    batch.add(entry(1, romeo, juliet, "<message id='a'/>"));
    batch.add(entry(2, juliet, romeo, "<message id='b'/>"));
    batch.add(entry(3, romeo, juliet, "<message id='a'/>"));  // equal to 1, not to 2
    batch.add(entry(4, juliet, romeo, "<message id='a'/>"));  // equal to 3
    batch.add(entry(5, juliet, romeo, "<message id='a2'/>"));
    ASSERT_EQ(batch.bodies().size(), 4u);
    std::vector<std::size_t> bodies;
    for (const auto& item : batch.items()) {
        bodies.push_back(item.body);
    }
    EXPECT_EQ(bodies, (std::vector<std::size_t>{0, 1, 2, 2, 3}));
    EXPECT_EQ(stanzas(batch), (std::vector<std::string>{"<message id='a'/>", "<message id='b'/>",
                                                        "<message id='a'/>", "<message id='a'/>",
                                                        "<message id='a2'/>"}));
}

TEST(ArchiveBatch, ABodysIdIsTheLargestIdOfItsItems)
{
    ArchiveBatch batch;
    batch.add(entry(10, romeo, juliet, "<message id='x'/>"));
    batch.add(entry(11, juliet, romeo, "<message id='x'/>"));
    batch.add(entry(21, romeo, juliet, "<message id='y'/>"));
    batch.add(entry(20, juliet, romeo, "<message id='y'/>"));  // the smaller id second
    ASSERT_EQ(batch.bodies().size(), 2u);
    EXPECT_EQ(batch.bodies()[0].id, 11);
    EXPECT_EQ(batch.bodies()[1].id, 21);
}

TEST(ArchiveBatch, SwapExchangesContents)
{
    ArchiveBatch pending, taken;
    pending.add(entry(1, juliet, romeo, "<message id='one'/>"));
    pending.add(entry(2, juliet, romeo, "<message id='two'/>"));
    taken.add(entry(9, romeo, juliet, "<message id='old'/>"));
    pending.swap(taken);
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(taken.items()[1].id, 2);
    EXPECT_EQ(stanzas(taken),
              (std::vector<std::string>{"<message id='one'/>", "<message id='two'/>"}));
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending.items()[0].id, 9);
    EXPECT_EQ(pending.text(pending.items()[0].owner), romeo);
    EXPECT_EQ(stanzas(pending), std::vector<std::string>{"<message id='old'/>"});
}

TEST(ArchiveBatch, ClearEmptiesItAndKeepsItUsable)
{
    ArchiveBatch batch;
    batch.add(entry(1, juliet, romeo, "<message id='a'/>"));
    batch.clear();
    EXPECT_TRUE(batch.empty());
    EXPECT_TRUE(batch.bodies().empty());
    batch.add(entry(2, juliet, romeo, "<message id='a'/>"));  // nothing to share with now
    ASSERT_EQ(batch.bodies().size(), 1u);
    EXPECT_EQ(batch.bodies()[0].id, 2);
    EXPECT_EQ(stanzas(batch), std::vector<std::string>{"<message id='a'/>"});
}

// A burst larger than what clear() keeps (1 MiB of text, 8192 items): the buffers go back,
// and the batch is as good as new.
TEST(ArchiveBatch, ABatchIsReusableAfterABurst)
{
    ArchiveBatch batch;
    const std::string big(1024, 'x');
    for (std::int64_t id = 1; id <= 3 * 1024; ++id) {  // 3 MiB of stanzas
        batch.add(entry(id, juliet, romeo, "<message id='" + std::to_string(id) + "'>" + big));
    }
    for (std::int64_t id = 1; id <= 10000; ++id) {  // and more items than are kept
        batch.add(entry(10000 + id, romeo, juliet, "<message/>"));
    }
    ASSERT_EQ(batch.size(), 3u * 1024 + 10000);
    EXPECT_EQ(batch.bodies().size(), 3u * 1024 + 1);
    EXPECT_EQ(batch.bodies().back().id, 20000);
    batch.clear();
    EXPECT_TRUE(batch.empty());
    EXPECT_TRUE(batch.items().empty());
    EXPECT_TRUE(batch.bodies().empty());
    for (int round = 0; round < 2; ++round) {
        batch.add(entry(1, juliet, romeo, "<message id='after'/>"));
        batch.add(entry(2, romeo, juliet, "<message id='after'/>"));
        ASSERT_EQ(batch.size(), 2u);
        ASSERT_EQ(batch.bodies().size(), 1u);
        EXPECT_EQ(batch.bodies()[0].id, 2);
        EXPECT_EQ(batch.text(batch.items()[1].owner), romeo);
        EXPECT_EQ(stanzas(batch),
                  (std::vector<std::string>{"<message id='after'/>", "<message id='after'/>"}));
        batch.clear();
    }
}

}  // namespace
}  // namespace chorus::storage::sqlite
