// XEP-0045 §5 permission tables, row by row (each row names the XEP's rule it checks).
#include "modules/muc/room_model.h"

#include <gtest/gtest.h>

namespace chorus::modules::muc {
namespace {

using enum Affiliation;
using R = Role;

std::optional<Condition> cond(const std::optional<StanzaError>& e)
{
    return e ? std::optional<Condition>(e->condition) : std::nullopt;
}

struct DefaultRoleRow {
    const char* name;
    Affiliation a;
    bool moderated, members_only;
    Role want;
};
const DefaultRoleRow default_roles[] = {
    // §5.1.2 Table 3: default roles by affiliation
    {"owner_is_moderator", owner, false, false, R::moderator},
    {"admin_is_moderator", admin, false, false, R::moderator},
    {"member_is_participant", member, false, false, R::participant},
    {"member_in_moderated_is_participant", member, true, false, R::participant},
    {"none_is_participant", none, false, false, R::participant},
    {"none_in_moderated_is_visitor", none, true, false, R::visitor},
    {"none_in_members_only_enters_not", none, false, true, R::none},
    {"outcast_enters_not", outcast, false, false, R::none},
};
class DefaultRole : public testing::TestWithParam<DefaultRoleRow> {};
TEST_P(DefaultRole, MatchesTable)
{
    RoomConfig c;
    c.moderated = GetParam().moderated;
    c.members_only = GetParam().members_only;
    EXPECT_EQ(default_role(GetParam().a, c), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(Rows, DefaultRole, testing::ValuesIn(default_roles),
                         [](const auto& i) { return std::string(i.param.name); });

struct EntryRow {
    const char* name;
    EntryFacts facts;
    bool members_only;
    bool password;
    std::optional<Condition> want;
};
const EntryRow entries[] = {
    {"open_room_admits_anyone", {}, false, false, std::nullopt},
    {"outcast_is_forbidden_7_2_8", {.affiliation = outcast}, false, false, Condition::forbidden},
    {"non_member_needs_registration_7_2_7", {}, true, false, Condition::registration_required},
    {"member_enters_members_only", {.affiliation = member}, true, false, std::nullopt},
    {"wrong_password_7_2_6", {.password_ok = false}, false, true, Condition::not_authorized},
    {"owner_needs_no_password",
     {.affiliation = owner, .password_ok = false},
     false,
     true,
     std::nullopt},
    {"nick_in_use_7_2_9", {.nick_taken = true}, false, false, Condition::conflict},
    {"nick_registered_by_other_7_2_9", {.nick_reserved = true}, false, false, Condition::conflict},
    {"full_room_7_2_10", {.room_full = true}, false, false, Condition::service_unavailable},
    {"admin_enters_full_room",
     {.affiliation = admin, .room_full = true},
     false,
     false,
     std::nullopt},
    {"locked_room_hides_10_1_2", {.locked = true}, false, false, Condition::item_not_found},
    {"owner_enters_locked_room",
     {.affiliation = owner, .locked = true},
     false,
     false,
     std::nullopt},
    {"ban_beats_membership_check", {.affiliation = outcast}, true, false, Condition::forbidden},
};
class Entry : public testing::TestWithParam<EntryRow> {};
TEST_P(Entry, MatchesTable)
{
    RoomConfig c;
    c.members_only = GetParam().members_only;
    c.password = GetParam().password ? "secret" : "";
    EXPECT_EQ(cond(entry_refusal(GetParam().facts, c)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(Rows, Entry, testing::ValuesIn(entries),
                         [](const auto& i) { return std::string(i.param.name); });

struct RoleRow {
    const char* name;
    RoleChange change;
    std::optional<Condition> want;
};
const RoleRow role_changes[] = {
    // actor role, actor affiliation, target affiliation, target role, new role
    {"moderator_kicks_participant_8_2",
     {R::moderator, none, none, R::participant, R::none},
     std::nullopt},
    {"participant_cannot_kick",
     {R::participant, member, none, R::participant, R::none},
     Condition::forbidden},
    {"moderator_cannot_kick_higher_affiliation_8_2",
     {R::moderator, member, admin, R::moderator, R::none},
     Condition::not_allowed},
    {"admin_cannot_kick_owner_8_2",
     {R::moderator, admin, owner, R::moderator, R::none},
     Condition::not_allowed},
    {"owner_kicks_admin", {R::moderator, owner, admin, R::moderator, R::none}, std::nullopt},
    {"moderator_grants_voice_8_3",
     {R::moderator, none, none, R::visitor, R::participant},
     std::nullopt},
    {"moderator_revokes_voice_8_4",
     {R::moderator, member, none, R::participant, R::visitor},
     std::nullopt},
    {"moderator_cannot_revoke_voice_of_admin",
     {R::moderator, member, admin, R::moderator, R::visitor},
     Condition::not_allowed},
    {"admin_grants_moderation_9_6",
     {R::moderator, admin, member, R::participant, R::moderator},
     std::nullopt},
    {"plain_moderator_cannot_grant_moderation",
     {R::moderator, member, none, R::participant, R::moderator},
     Condition::forbidden},
    {"admin_revokes_moderation_9_7",
     {R::moderator, admin, member, R::moderator, R::participant},
     std::nullopt},
    {"owner_cannot_demote_admin_role_9_7",
     {R::moderator, owner, admin, R::moderator, R::participant},
     Condition::not_allowed},
};
class RoleChanges : public testing::TestWithParam<RoleRow> {};
TEST_P(RoleChanges, MatchesTable)
{
    EXPECT_EQ(cond(role_change_refusal(GetParam().change)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(Rows, RoleChanges, testing::ValuesIn(role_changes),
                         [](const auto& i) { return std::string(i.param.name); });

struct AffRow {
    const char* name;
    AffiliationChange change;
    std::optional<Condition> want;
};
const AffRow affiliation_changes[] = {
    // actor, target old, target new, last owner
    {"admin_bans_9_1", {admin, none, outcast}, std::nullopt},
    {"admin_grants_membership_9_3", {admin, none, member}, std::nullopt},
    {"admin_revokes_membership_9_4", {admin, member, none}, std::nullopt},
    {"admin_cannot_ban_admin", {admin, admin, outcast}, Condition::not_allowed},
    {"admin_cannot_make_admin_10_6", {admin, member, admin}, Condition::not_allowed},
    {"owner_makes_admin_10_6", {owner, member, admin}, std::nullopt},
    {"owner_makes_owner_10_3", {owner, none, owner}, std::nullopt},
    {"last_owner_cannot_step_down_10_6", {owner, owner, admin, true}, Condition::conflict},
    {"one_of_two_owners_steps_down", {owner, owner, none, false}, std::nullopt},
    {"member_cannot_ban", {member, none, outcast}, Condition::forbidden},
    {"none_cannot_grant", {none, none, member}, Condition::forbidden},
};
class AffiliationChanges : public testing::TestWithParam<AffRow> {};
TEST_P(AffiliationChanges, MatchesTable)
{
    EXPECT_EQ(cond(affiliation_change_refusal(GetParam().change)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(Rows, AffiliationChanges, testing::ValuesIn(affiliation_changes),
                         [](const auto& i) { return std::string(i.param.name); });

TEST(RoomModel, SpeakingSubjectAndPrivateMessagesFollowRolesAndConfig)
{
    RoomConfig c;
    EXPECT_FALSE(may_speak(R::visitor));  // §5.1.1 Table 1
    EXPECT_TRUE(may_speak(R::participant));
    EXPECT_FALSE(may_set_subject(R::participant, c));
    c.change_subject = true;
    EXPECT_TRUE(may_set_subject(R::participant, c));
    EXPECT_TRUE(may_set_subject(R::moderator, RoomConfig{}));
    EXPECT_TRUE(may_send_pm(R::visitor, c));
    c.allow_pm = false;
    EXPECT_FALSE(may_send_pm(R::moderator, c));
}

TEST(RoomModel, InvitationsToMembersOnlyRoomsNeedRank)
{
    RoomConfig c;
    EXPECT_TRUE(may_invite(none, R::participant, c));
    c.members_only = true;
    EXPECT_FALSE(may_invite(member, R::participant, c));
    EXPECT_TRUE(may_invite(admin, R::moderator, c));
    c.allow_invites = true;
    EXPECT_TRUE(may_invite(member, R::participant, c));
}

TEST(RoomModel, ListsAndRealJidsFollowRank)
{
    RoomConfig c;
    EXPECT_TRUE(may_read_list(admin, R::none, outcast, c));
    EXPECT_FALSE(may_read_list(member, R::participant, member, c));
    EXPECT_TRUE(may_read_list(none, R::moderator, member, c)) << "getmemberlist: moderator";
    c.members_only = true;
    EXPECT_TRUE(may_read_list(member, R::none, member, c));
    EXPECT_FALSE(may_read_list(member, R::participant, outcast, c));
    EXPECT_TRUE(may_read_role_list(R::moderator));
    EXPECT_FALSE(may_read_role_list(R::participant));
    EXPECT_FALSE(sees_real_jids(R::participant, c));
    EXPECT_TRUE(sees_real_jids(R::moderator, c));
    c.whois = Whois::anyone;
    EXPECT_TRUE(sees_real_jids(R::visitor, c));
}

TEST(RoomModel, ConfigSurvivesItsTextForm)
{
    RoomConfig c;
    c.name = "Tea\nroom \\ ok";
    c.persistent = true;
    c.members_only = true;
    c.password = "s=cret";
    c.whois = Whois::anyone;
    c.history_length = 7;
    c.allow_pm = false;
    c.salt = "abc";
    c.presence_broadcast = RoleSet::of({R::moderator, R::participant});
    c.can_change_nick = false;
    c.member_list_readers = RoleSet::of({R::participant, R::visitor});
    c.max_history_fetch = 3;
    c.lang = "en-GB";
    c.pubsub = "xmpp:pubsub.localhost?;node=tea";
    const auto back = RoomConfig::from_text(c.to_text());
    EXPECT_EQ(back.presence_broadcast, c.presence_broadcast);
    EXPECT_FALSE(back.can_change_nick);
    EXPECT_EQ(back.member_list_readers, c.member_list_readers);
    EXPECT_EQ(back.max_history_fetch, 3u);
    EXPECT_EQ(back.lang, "en-GB");
    EXPECT_EQ(back.pubsub, c.pubsub);
    EXPECT_EQ(back.name, c.name);
    EXPECT_TRUE(back.persistent);
    EXPECT_TRUE(back.members_only);
    EXPECT_EQ(back.password, "s=cret");
    EXPECT_EQ(back.whois, Whois::anyone);
    EXPECT_EQ(back.history_length, 7u);
    EXPECT_FALSE(back.allow_pm);
    EXPECT_EQ(back.salt, "abc");
    EXPECT_EQ(RoomConfig::from_text("junk\nhistory_length=x\n").history_length, 20u);
}

// muc#roomconfig_getmemberlist: who reads the member list, by affiliation and role.
struct MemberListRow {
    const char* name;
    Affiliation actor;
    Role role;
    bool members_only;
    std::vector<std::string> readers;
    bool allowed;
};

class MemberList : public ::testing::TestWithParam<MemberListRow> {};

TEST_P(MemberList, MatchesTable)
{
    const auto& row = GetParam();
    RoomConfig c;
    c.members_only = row.members_only;
    c.member_list_readers = *RoleSet::parse(row.readers);
    EXPECT_EQ(may_read_list(row.actor, row.role, member, c), row.allowed);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, MemberList,
    ::testing::Values(
        MemberListRow{"owner_always", owner, R::none, false, {}, true},
        MemberListRow{"admin_always", admin, R::none, false, {}, true},
        MemberListRow{"moderator_by_default", none, R::moderator, false, {"moderator"}, true},
        MemberListRow{
            "participant_not_by_default", member, R::participant, false, {"moderator"}, false},
        MemberListRow{"participant_when_listed",
                      none,
                      R::participant,
                      false,
                      {"moderator", "participant"},
                      true},
        MemberListRow{"visitor_when_listed", none, R::visitor, false, {"visitor"}, true},
        MemberListRow{"absent_user_has_no_role",
                      none,
                      R::none,
                      false,
                      {"moderator", "participant", "visitor"},
                      false},
        MemberListRow{"outcast_never", outcast, R::none, true, {"visitor"}, false},
        MemberListRow{"member_of_members_only_room", member, R::none, true, {}, true}),
    [](const auto& info) { return std::string(info.param.name); });

// muc#roomconfig_presencebroadcast: whose presence a viewer sees.
struct BroadcastRow {
    const char* name;
    std::vector<std::string> broadcast;
    Role viewer;
    Role occupant;
    bool sees;
};

class PresenceBroadcast : public ::testing::TestWithParam<BroadcastRow> {};

TEST_P(PresenceBroadcast, MatchesTable)
{
    const auto& row = GetParam();
    RoomConfig c;
    c.presence_broadcast = *RoleSet::parse(row.broadcast);
    EXPECT_EQ(sees_presence(row.viewer, row.occupant, c), row.sees);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, PresenceBroadcast,
    ::testing::Values(
        BroadcastRow{"default_everyone",
                     {"moderator", "participant", "visitor"},
                     R::visitor,
                     R::visitor,
                     true},
        BroadcastRow{
            "visitors_hidden", {"moderator", "participant"}, R::participant, R::visitor, false},
        BroadcastRow{"moderators_see_hidden_visitors",
                     {"moderator", "participant"},
                     R::moderator,
                     R::visitor,
                     true},
        BroadcastRow{
            "participants_shown", {"moderator", "participant"}, R::visitor, R::participant, true},
        BroadcastRow{
            "only_moderators_shown", {"moderator"}, R::participant, R::participant, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RoomModel, RoleSetsParseOnlyRoles)
{
    EXPECT_EQ(RoleSet::parse({"moderator", "visitor"})->names(),
              (std::vector<std::string>{"moderator", "visitor"}));
    EXPECT_FALSE(RoleSet::parse({"none"}));
    EXPECT_FALSE(RoleSet::parse({"boss"}));
    EXPECT_TRUE(RoleSet::parse({})->names().empty());
}

TEST(RoomModel, NickChangesAndLanguageTags)
{
    RoomConfig c;
    EXPECT_FALSE(nick_change_refusal(c));
    c.can_change_nick = false;
    ASSERT_TRUE(nick_change_refusal(c));
    EXPECT_EQ(cond(nick_change_refusal(c)), Condition::not_acceptable);
    for (auto ok : {"", "en", "en-GB", "zh-Hant-TW", "de-CH-1901"}) {
        EXPECT_TRUE(valid_language_tag(ok)) << ok;
    }
    for (auto bad : {"-en", "en-", "en--GB", "english language", "abcdefghi", "1en"}) {
        EXPECT_FALSE(valid_language_tag(bad)) << bad;
    }
}

TEST(RoomModel, NamesRoundTrip)
{
    for (auto a : {outcast, none, member, admin, owner}) {
        EXPECT_EQ(parse_affiliation(affiliation_name(a)), a);
    }
    for (auto r : {R::none, R::visitor, R::participant, R::moderator}) {
        EXPECT_EQ(parse_role(role_name(r)), r);
    }
    EXPECT_FALSE(parse_affiliation("boss"));
}

}  // namespace
}  // namespace chorus::modules::muc
