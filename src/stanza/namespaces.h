// Every XML namespace URI Chorus uses, written once (STYLE.md; ejabberd's ns.hrl).
#pragma once

#include <string_view>

namespace chorus::ns {

// RFC 6120 / RFC 6121
inline constexpr std::string_view streams = "http://etherx.jabber.org/streams";
inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view server = "jabber:server";
inline constexpr std::string_view stream_errors = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view stanza_errors = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view bind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view session = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view roster = "jabber:iq:roster";
inline constexpr std::string_view roster_ver = "urn:xmpp:features:rosterver";
inline constexpr std::string_view presence_preapproval = "urn:xmpp:features:pre-approval";
inline constexpr std::string_view xml = "http://www.w3.org/XML/1998/namespace";

// XEPs
inline constexpr std::string_view disco_info = "http://jabber.org/protocol/disco#info";    // 0030
inline constexpr std::string_view disco_items = "http://jabber.org/protocol/disco#items";  // 0030
inline constexpr std::string_view caps = "http://jabber.org/protocol/caps";                // 0115
inline constexpr std::string_view ping = "urn:xmpp:ping";                                  // 0199
inline constexpr std::string_view version = "jabber:iq:version";                           // 0092
inline constexpr std::string_view last = "jabber:iq:last";                                 // 0012
inline constexpr std::string_view register_ = "jabber:iq:register";                        // 0077
inline constexpr std::string_view register_feature = "http://jabber.org/features/iq-register";
inline constexpr std::string_view data_forms = "jabber:x:data";                            // 0004
inline constexpr std::string_view vcard = "vcard-temp";                                    // 0054
inline constexpr std::string_view blocking = "urn:xmpp:blocking";                          // 0191
inline constexpr std::string_view blocking_errors = "urn:xmpp:blocking:errors";            // 0191
inline constexpr std::string_view delay = "urn:xmpp:delay";                                // 0203
inline constexpr std::string_view offline = "msgoffline";                                  // 0160
inline constexpr std::string_view carbons = "urn:xmpp:carbons:2";                          // 0280
inline constexpr std::string_view forward = "urn:xmpp:forward:0";                          // 0297
inline constexpr std::string_view hints = "urn:xmpp:hints";                                // 0334
inline constexpr std::string_view mam = "urn:xmpp:mam:2";                                  // 0313
inline constexpr std::string_view mam_extended = "urn:xmpp:mam:2#extended";                // 0313
inline constexpr std::string_view rsm = "http://jabber.org/protocol/rsm";                  // 0059
inline constexpr std::string_view sid = "urn:xmpp:sid:0";                                  // 0359
inline constexpr std::string_view chatstates = "http://jabber.org/protocol/chatstates";    // 0085
inline constexpr std::string_view csi = "urn:xmpp:csi:0";                                 // 0352
inline constexpr std::string_view receipts = "urn:xmpp:receipts";                          // 0184
inline constexpr std::string_view chat_markers = "urn:xmpp:chat-markers:0";                // 0333
inline constexpr std::string_view muc_user = "http://jabber.org/protocol/muc#user";        // 0045
inline constexpr std::string_view sm = "urn:xmpp:sm:3";                                    // 0198
inline constexpr std::string_view imng = "urn:xmpp:im-ng:0";                               // 0409
// XEP-0045 Multi-User Chat and its companions (data form types included)
inline constexpr std::string_view muc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view muc_admin = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view muc_owner = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view muc_roomconfig = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view muc_roominfo = "http://jabber.org/protocol/muc#roominfo";
inline constexpr std::string_view muc_register = "http://jabber.org/protocol/muc#register";
inline constexpr std::string_view muc_request = "http://jabber.org/protocol/muc#request";
inline constexpr std::string_view muc_unique = "http://jabber.org/protocol/muc#unique";
inline constexpr std::string_view muc_stable_id = "http://jabber.org/protocol/muc#stable_id";
inline constexpr std::string_view muc_self_ping =
    "http://jabber.org/protocol/muc#self-ping-optimization";                               // 0410
inline constexpr std::string_view occupant_id = "urn:xmpp:occupant-id:0";                  // 0421
inline constexpr std::string_view direct_invite = "jabber:x:conference";                   // 0249

}  // namespace chorus::ns
