// Message routing decisions: ROUTING.md's Inbound/Outbound tables over RFC 6121 §8.5.
#include "router/message_rules.h"

#include <algorithm>
#include <climits>

namespace chorus::router {
namespace {

bool is_im_type(MessageType t) noexcept
{
    return t == MessageType::normal || t == MessageType::chat;
}

void add(std::vector<Delivery>& out, Session* s, CopyForm form)
{
    const bool seen =
        std::any_of(out.begin(), out.end(), [&](const Delivery& d) { return d.session == s; });
    if (!seen) {  // ROUTING.md: at most once per session
        out.push_back({s, form});
    }
}

/// RFC 6121 §8.5.2.1: which of `candidates` get a bare-JID message of this type.
void select_bare(MessageType type, BarePolicy policy, std::span<Session* const> sessions,
                 bool legacy_only, std::vector<Delivery>& out)
{
    auto eligible = [&](const Session* s) {
        return (!legacy_only || !s->imng()) && s->flags().available && s->flags().priority >= 0;
    };
    if (type == MessageType::headline || policy == BarePolicy::all) {
        for (Session* s : sessions) {
            if (eligible(s)) {
                add(out, s, CopyForm::as_sent);
            }
        }
        return;
    }
    int best = INT_MIN;
    for (const Session* s : sessions) {
        if (eligible(s)) {
            best = std::max(best, s->flags().priority);
        }
    }
    for (Session* s : sessions) {
        if (eligible(s) && s->flags().priority == best) {
            add(out, s, CopyForm::as_sent);
        }
    }
}

/// XEP-0280 §6: <received/> copies to legacy Carbons sessions that did not get it directly.
void add_carbons(std::span<Session* const> sessions, const Session* exclude, CopyForm form,
                 std::vector<Delivery>& out)
{
    for (Session* s : sessions) {
        if (s != exclude && !s->imng() && s->flags().carbons) {
            add(out, s, form);
        }
    }
}

void add_imng_set(std::span<Session* const> sessions, CopyForm form, std::vector<Delivery>& out)
{
    for (Session* s : sessions) {
        if (s->imng()) {
            add(out, s, form);
        }
    }
}

Session* find_resource(std::span<Session* const> sessions, std::string_view resource)
{
    for (Session* s : sessions) {
        if (s->jid().resource() == resource) {
            return s;
        }
    }
    return nullptr;
}

/// After the direct deliveries: nobody took it, so RFC 6121 §8.5.2.1.1 applies.
void settle_undelivered(MessageType type, InboundPlan& plan)
{
    if (!plan.deliveries.empty()) {
        return;
    }
    switch (type) {
        case MessageType::normal:
        case MessageType::chat:
            plan.offline = true;
            break;  // XEP-0160, else bounce
        case MessageType::groupchat:
            plan.bounce = Condition::service_unavailable;
            break;
        case MessageType::headline:
        case MessageType::error:
            break;  // silently dropped
    }
}

void fan_out_r1(const InboundInput& in, std::span<Session* const> sessions, CopyForm imng_form,
                Session* addressed, InboundPlan& plan)
{
    const auto type = in.facts.type;
    add_imng_set(sessions, imng_form, plan.deliveries);
    plan.reaches_imng = !plan.deliveries.empty();
    if (addressed && !addressed->imng()) {
        add(plan.deliveries, addressed, CopyForm::as_sent);  // R5: the legacy addressee
    } else if (!addressed && type != MessageType::groupchat) {
        select_bare(type, in.policy, sessions, true, plan.deliveries);
    }
    if (in.carbons_eligible) {
        add_carbons(sessions, nullptr, CopyForm::carbon_received, plan.deliveries);
    }
    plan.archive = is_im_type(type) && !in.transient;
    settle_undelivered(type, plan);
}

}  // namespace

MessageType message_type(std::string_view t) noexcept
{
    if (t == "chat") {
        return MessageType::chat;
    }
    if (t == "groupchat") {
        return MessageType::groupchat;
    }
    if (t == "headline") {
        return MessageType::headline;
    }
    if (t == "error") {
        return MessageType::error;
    }
    return MessageType::normal;
}

InboundPlan plan_inbound(const InboundInput& in, std::span<Session* const> sessions)
{
    InboundPlan plan;
    plan.rule = classify_inbound(in.facts);
    const auto type = in.facts.type;
    if (!in.account_exists) {  // RFC 6121 §8.5.1: no such user
        if (type != MessageType::error && type != MessageType::headline) {
            plan.bounce = Condition::service_unavailable;
        }
        return plan;
    }
    Session* addressed = in.facts.to_full_jid ? find_resource(sessions, in.resource) : nullptr;
    switch (plan.rule) {
        case InboundRule::r1:
            fan_out_r1(in, sessions, CopyForm::as_sent, nullptr, plan);
            break;
        case InboundRule::r2:
            break;  // answers a server-generated stanza: consumed
        case InboundRule::r3:
            add_imng_set(sessions, CopyForm::as_sent, plan.deliveries);
            plan.reaches_imng = !plan.deliveries.empty();
            if (addressed && !addressed->imng()) {
                add(plan.deliveries, addressed, CopyForm::as_sent);
            }
            plan.archive = true;
            break;
        case InboundRule::r4:
            if (addressed) {
                add(plan.deliveries, addressed, CopyForm::as_sent);
            } else if (type != MessageType::error) {
                plan.bounce = Condition::service_unavailable;  // XEP-0409 §3, RFC 6121
            }
            break;
        case InboundRule::r5:
            fan_out_r1(in, sessions, CopyForm::to_bare, addressed, plan);
            break;
        case InboundRule::r6:
            if (addressed) {
                add(plan.deliveries, addressed, CopyForm::as_sent);
            } else if (type == MessageType::groupchat) {
                plan.bounce = Condition::service_unavailable;  // RFC 6121 §8.5.3.2.1
            }
            break;
        case InboundRule::r7:
            if (addressed) {
                add(plan.deliveries, addressed, CopyForm::as_sent);
            } else {  // RFC 6121 §8.5.3.2.1: as if to the bare JID, over every session
                select_bare(type, in.policy, sessions, false, plan.deliveries);
                settle_undelivered(type, plan);
            }
            break;
    }
    return plan;
}

std::vector<Session*> redelivery_targets(const InboundPlan& plan, bool carbons_eligible)
{
    std::vector<Session*> out;
    for (const auto& d : plan.deliveries) {
        const bool had_copy = d.session->imng() || (carbons_eligible && d.session->flags().carbons);
        if (d.form == CopyForm::as_sent && !had_copy) {
            out.push_back(d.session);
        }
    }
    return out;
}

OutboundPlan plan_outbound(const OutboundInput& in, const Session& sender,
                           std::span<Session* const> sessions)
{
    OutboundPlan plan;
    plan.rule = classify_outbound(in);
    const bool im =
        plan.rule == OutboundRule::o1 || (plan.rule == OutboundRule::o2 && is_im_type(in.type));
    if (!im || in.to_own_account) {
        return plan;
    }
    add_imng_set(sessions, CopyForm::reflection, plan.copies);
    plan.reaches_imng = !plan.copies.empty();
    if (in.carbons_eligible) {
        add_carbons(sessions, &sender, CopyForm::carbon_sent, plan.copies);
    }
    plan.archive = is_im_type(in.type) && !in.transient;
    return plan;
}

}  // namespace chorus::router
