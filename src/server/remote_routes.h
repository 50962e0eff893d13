// RemoteRoutes: where the router hands stanzas for domains neither this server nor one of
// its components serves (RFC 6120 §10.4: the server-to-server links, src/stream/s2s_*).
#pragma once

#include "jid/jid.h"
#include "xml/element.h"

namespace chorus {

class RemoteRoutes {
public:
    virtual ~RemoteRoutes() = default;
    /// Takes one stanza ('from' a local or component JID, 'to' at a remote domain): sent
    /// over the link, queued while the link comes up, or bounced to its sender when the
    /// remote server cannot be reached (never lost silently).
    virtual void send(const xml::Element& stanza, const Jid& to) = 0;
};

}  // namespace chorus
