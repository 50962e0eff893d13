// C2sSession and XEP-0198 Stream Management: <enable/>, <r/>/<a/> both ways, detaching when
// the connection is lost, <resume/>, and what an unresumed session owes its unacked
// stanzas (ROUTING.md "Stream management (XEP-0198) and session loss").
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "base/encoding.h"
#include "base/metrics.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stream/c2s_session.h"

namespace chorus::stream {

namespace asio = boost::asio;

namespace {
std::string failed_element(std::string_view condition)
{
    std::string out = "<failed xmlns='";
    out += ns::sm;
    out += "'><";
    out += condition;
    out += " xmlns='";
    out += ns::stanza_errors;
    out += "'/></failed>";
    return out;
}

std::string request_element()
{
    return "<r xmlns='" + std::string(ns::sm) + "'/>";
}

bool is_true(std::string_view v)
{
    return v == "true" || v == "1";  // xs:boolean
}
}  // namespace

void C2sSession::sm_failed(std::string_view condition)
{
    send_raw(failed_element(condition));
}

bool C2sSession::can_detach() const noexcept
{
    return bound_ && !closing_ && sm_ && sm_->resumable() && !sm_->detached();
}

void C2sSession::handle_sm_unbound(xml::Element& element)
{
    if (element.name() == "resume") {
        return resume(element);
    }
    // XEP-0198 §3: a client enables stream management after binding, unless it resumes;
    // <r/> and <a/> mean nothing before <enable/>.
    sm_failed("unexpected-request");
}

void C2sSession::handle_sm(xml::Element& element)
{
    const auto& name = element.name();
    if (name == "r" && sm_) {
        return answer_ack_request();
    }
    if (name == "a" && sm_) {
        return on_ack(element);
    }
    if (name == "enable" && !sm_) {
        return enable_sm(element);
    }
    if (name == "r" || name == "a" || name == "enable" || name == "resume") {
        // Enabled twice, acks before <enable/>, or <resume/> after binding (§5: instead of
        // binding).
        return sm_failed("unexpected-request");
    }
    fail({StreamCondition::unsupported_stanza_type, "Unknown stream management element"});
}

void C2sSession::enable_sm(const xml::Element& enable)
{
    const auto& c = server_.config();
    const bool resume = is_true(enable.attr("resume")) && c.sm_resume_timeout_s > 0;
    // Resumption needs the same authenticated account too (ResumptionTable::find), so the
    // id only has to be unique, not secret.
    sm_ = std::make_unique<StreamManagement>(resume ? hex_encode(random_bytes(8)) : std::string(),
                                             resume);
    ++metrics().sm_enabled;
    std::string out = "<enabled xmlns='";
    out += ns::sm;
    out += '\'';
    if (resume) {
        connections_.resumable().add(sm_->id(), this);
        out += " id='" + sm_->id() + "' resume='true' max='" +
               std::to_string(c.sm_resume_timeout_s) + '\'';
    }
    out += "/>";
    send_raw(std::move(out));  // the counters start at zero from here (§4)
}

void C2sSession::answer_ack_request()
{
    // ROUTING.md "Archive rules": a stanza is acknowledged once what it caused is durable;
    // the answer waits for the archive's commit when some of it is not yet.
    auto& gate = server_.router().gate();
    const SmCount handled = sm_->received_count();
    auto answer = std::make_shared<const std::string>(ack_element(handled));
    if (sm_->durable_count(gate.settled()) == handled) {
        send_control(std::move(answer));
    } else {
        send_control(std::move(answer), &gate, sm_->last_pending_seq());
    }
}

void C2sSession::on_ack(const xml::Element& a)
{
    const auto h = parse_count(a.attr("h"));
    if (!h) {
        return fail({StreamCondition::undefined_condition, "h must be a count of stanzas"});
    }
    if (!sm_->acked(*h, LivenessClock::now())) {
        spdlog::debug("{}: acknowledged {} stanzas of {} sent", jid_.str(), *h, sm_->sent_count());
        close_with(handled_count_too_high(*h, sm_->sent_count()));  // XEP-0198 §4
    }
}

bool C2sSession::count_sent(const router::SharedBytes& bytes)
{
    const auto now = LivenessClock::now();
    sm_->sent(bytes, now);
    const auto& c = server_.config();
    if (sm_->unacked() > static_cast<std::size_t>(c.sm_max_queue)) {
        if (sm_->detached()) {  // treated like expiry: its stanzas are re-routed
            if (!closing_) {
                closing_ = true;
                asio::post(executor(), [self = shared_from_this()] { self->unbind(); });
            }
        } else {
            fail({StreamCondition::resource_constraint, "Too many unacknowledged stanzas"});
        }
        return false;
    }
    return !sm_->detached();
}

void C2sSession::request_ack_if_due(LivenessClock::time_point now)
{
    const auto& c = server_.config();
    if (sm_->should_request(static_cast<std::size_t>(c.sm_request_after),
                            std::chrono::seconds(c.sm_request_interval_s), now)) {
        sm_->requested();
        send_raw(request_element());
    }
}

void C2sSession::detach()
{
    // XEP-0198 §5: the session stays bound (its presence unchanged, stanzas for it queued
    // as unacked) until a <resume/> or the timeout.
    spdlog::debug("{}: connection lost, waiting for a resumption", jid_.str());
    sm_->detach(LivenessClock::now());
    sm_->keepalive = shared_from_this();
    read_paused_ = false;
    write_failed_ = true;  // nothing is written any more: what was queued is unacked
    queue_.clear();
    queued_bytes_ = 0;
    close_transport(false);
    parser_.discard();
}

void C2sSession::end_sm()
{
    auto sm = std::move(sm_);
    if (!sm->id().empty()) {
        connections_.resumable().remove(sm->id(), this);
    }
    const auto unacked = sm->take_unacked();
    if (!unacked.empty()) {
        server_.router().redeliver_unacked(*this, unacked);
    }
    if (sm->keepalive) {  // released after the caller is done with this session
        asio::post(executor(), [keep = std::move(sm->keepalive)] {});
    }
}

void C2sSession::resume(const xml::Element& element)
{
    const auto h = parse_count(element.attr("h"));
    const std::string account = node_ + '@' + domain_;
    C2sSession* old = connections_.resumable().find(element.attr("previd"), account);
    if (!h) {
        return sm_failed("bad-request");
    }
    if (!old || !old->sm_ || old->closing_ || old == this) {
        // XEP-0198 §5: unknown, or expired and gone: <item-not-found/>.
        ++metrics().sm_resume_failed;
        return sm_failed("item-not-found");
    }
    if (!old->sm_->acked(*h, LivenessClock::now())) {
        return close_with(handled_count_too_high(*h, old->sm_->sent_count()));
    }
    ++metrics().sm_resumed;
    take_over(*old);
}

void C2sSession::take_over(C2sSession& old)
{
    auto keep = old.shared_from_this();  // the old object lives until this returns
    sm_ = std::move(old.sm_);
    sm_->keepalive.reset();
    sm_->attach();
    // The same session on a new connection: same JID, flags (IM-NG, Carbons, presence,
    // roster interest) and id, so modules' per-session state carries over.
    jid_ = old.jid_;
    flags_ = old.flags_;
    id_ = old.id_;
    old.bound_ = false;
    bound_ = true;
    mark_ = LivenessClock::now();
    server_.sessions().add(*this);  // takes old's entry: nobody left, no hooks run
    connections_.resumable().add(sm_->id(), this);

    auto& gate = server_.router().gate();
    const SmCount handled = sm_->received_count();
    auto resumed = std::make_shared<const std::string>("<resumed xmlns='" + std::string(ns::sm) +
                                                       "' h='" + std::to_string(handled) +
                                                       "' previd='" + sm_->id() + "'/>");
    if (sm_->durable_count(gate.settled()) == handled) {
        send_control(std::move(resumed));
    } else {
        send_control(std::move(resumed), &gate, sm_->last_pending_seq());
    }
    // §5: what the client did not acknowledge, again, in order (counted already), then the
    // copies still waiting for the archive.
    for (auto& bytes : sm_->unacked_stanzas()) {
        send_control(std::move(bytes));
    }
    take_held(old);
    spdlog::debug("{}: resumed ({} stanzas re-sent)", jid_.str(), sm_->unacked());
    // §5: a former connection still open is closed.
    old.close_with(serialize_stream_error(
        {StreamCondition::conflict, "The session was resumed on another connection"}));
}

void C2sSession::sweep_sm(LivenessClock::time_point now)
{
    const auto& c = server_.config();
    if (sm_->detached()) {
        // Copies still held for the archive (one group commit away) join the unacked queue
        // first, so the router sees them too; a stuck archive delays expiry only so long.
        const auto timeout = std::chrono::seconds(c.sm_resume_timeout_s);
        const bool due = held() == 0 ? sm_->expired(timeout, now) : sm_->expired(2 * timeout, now);
        if (!closing_ && due) {
            spdlog::debug("{}: not resumed in time, closing", jid_.str());
            closing_ = true;
            unbind();  // session_closed hooks, then its unacked stanzas (end_sm)
        }
        return;
    }
    if (!closing_) {
        request_ack_if_due(now);
    }
}

}  // namespace chorus::stream
