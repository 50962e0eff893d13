// C2sSession at the idle sweep: parsers of idle sessions are freed, and the connection
// timeouts of liveness.h are carried out (RFC 6120 §4.9.3.4, XEP-0199 §4.2). No timer per
// session: the sweep visits each one about once a second.
#include <spdlog/spdlog.h>

#include "server/server.h"
#include "stanza/namespaces.h"
#include "stream/c2s_session.h"

namespace chorus::stream {

bool C2sSession::sweep_idle(LivenessClock::time_point now)
{
    if (sm_ && sm_->detached()) {
        sweep_sm(now);  // no connection: only the resumption timeout applies
        return false;
    }
    const bool idle = !read_since_sweep_;
    if (!closing_) {
        check_timeouts(now);  // reads read_since_sweep_ before it is cleared
    }
    if (sm_) {
        sweep_sm(now);
    }
    read_since_sweep_ = false;
    if (idle && queue_.empty() && writing_.empty()) {
        queue_.shrink_to_fit();  // capacity left from the login's replies
        writing_.shrink_to_fit();
        trim_held();
        if (sm_) {
            sm_->trim();
        }
    }
    return idle && parser_.hibernate();
}

void C2sSession::check_timeouts(LivenessClock::time_point now)
{
    const auto& c = server_.config();
    const LivenessPolicy policy{std::chrono::seconds(c.negotiation_timeout_s),
                                std::chrono::seconds(c.ping_interval_s),
                                std::chrono::seconds(c.ping_timeout_s)};
    const LivenessFacts facts{.bound = bound_,
                              .heard = read_since_sweep_,
                              .reads_held = read_paused_ || !server_.read_gate().is_open(),
                              .ping_outstanding = ping_outstanding_,
                              .since_mark = now - mark_};
    switch (check_liveness(facts, policy)) {
        case Liveness::wait:
            return;
        case Liveness::heard:
            mark_ = now;
            ping_outstanding_ = false;
            return;
        case Liveness::ping: {
            // XEP-0199 §4.2: any answer (a result, an error, any other bytes) proves the
            // peer is there; the reply itself is consumed by the router as a result to us.
            xml::Element ping("iq", std::string(ns::client));
            ping.set_attr("type", "get")
                .set_attr("from", jid_.domain())
                .set_attr("to", jid_.str())
                .set_attr("id", server_.next_id());
            ping.add_child("ping", std::string(ns::ping));
            send(ping);
            mark_ = now;
            ping_outstanding_ = true;
            return;
        }
        case Liveness::negotiation_timeout:
            spdlog::debug("{}: not bound within c2s.negotiation_timeout", remote_address_);
            if (handshaking_) {  // no stream to put an error on, mid TLS handshake
                close_transport(false);
                return;
            }
            return fail({StreamCondition::connection_timeout, "Not bound in time"});
        case Liveness::ping_timeout:
            spdlog::debug("{}: no answer to a ping within c2s.ping_timeout", jid_.str());
            if (can_detach()) {  // XEP-0198 §5: a dead connection, not an ended session
                return detach();
            }
            return fail({StreamCondition::connection_timeout, "No answer to a ping"});
    }
}

}  // namespace chorus::stream
