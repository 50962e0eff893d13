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
inline constexpr std::string_view data_forms = "jabber:x:data";                          // 0004
inline constexpr std::string_view vcard = "vcard-temp";                                  // 0054
inline constexpr std::string_view blocking = "urn:xmpp:blocking";                        // 0191
inline constexpr std::string_view blocking_errors = "urn:xmpp:blocking:errors";          // 0191
inline constexpr std::string_view delay = "urn:xmpp:delay";                              // 0203
inline constexpr std::string_view offline = "msgoffline";                                // 0160
inline constexpr std::string_view carbons = "urn:xmpp:carbons:2";                        // 0280
inline constexpr std::string_view forward = "urn:xmpp:forward:0";                        // 0297
inline constexpr std::string_view hints = "urn:xmpp:hints";                              // 0334
inline constexpr std::string_view mam = "urn:xmpp:mam:2";                                // 0313
inline constexpr std::string_view mam_extended = "urn:xmpp:mam:2#extended";              // 0313
inline constexpr std::string_view rsm = "http://jabber.org/protocol/rsm";                // 0059
inline constexpr std::string_view sid = "urn:xmpp:sid:0";                                // 0359
inline constexpr std::string_view chatstates = "http://jabber.org/protocol/chatstates";  // 0085
inline constexpr std::string_view csi = "urn:xmpp:csi:0";                                // 0352
inline constexpr std::string_view receipts = "urn:xmpp:receipts";                        // 0184
inline constexpr std::string_view chat_markers = "urn:xmpp:chat-markers:0";              // 0333
inline constexpr std::string_view muc_user = "http://jabber.org/protocol/muc#user";      // 0045
inline constexpr std::string_view sm = "urn:xmpp:sm:3";                                  // 0198
inline constexpr std::string_view imng = "urn:xmpp:im-ng:0";                             // 0409
inline constexpr std::string_view dialback = "jabber:server:dialback";                   // 0220
inline constexpr std::string_view dialback_feature = "urn:xmpp:features:dialback";       // 0220
inline constexpr std::string_view bidi = "urn:xmpp:bidi";                                // 0288
inline constexpr std::string_view bidi_feature = "urn:xmpp:features:bidi";               // 0288
// Web face (issue 16)
inline constexpr std::string_view framing = "urn:ietf:params:xml:ns:xmpp-framing";      // RFC 7395
inline constexpr std::string_view xrd = "http://docs.oasis-open.org/ns/xri/xrd-1.0";    // 0156
inline constexpr std::string_view http_upload = "urn:xmpp:http:upload:0";               // 0363
inline constexpr std::string_view extdisco = "urn:xmpp:extdisco:2";                     // 0215
inline constexpr std::string_view serverinfo = "http://jabber.org/network/serverinfo";  // 0157
// Publish-subscribe (XEP-0060), PEP (XEP-0163) and what is stored on them
inline constexpr std::string_view pubsub = "http://jabber.org/protocol/pubsub";  // 0060
inline constexpr std::string_view pubsub_event = "http://jabber.org/protocol/pubsub#event";
inline constexpr std::string_view pubsub_owner = "http://jabber.org/protocol/pubsub#owner";
inline constexpr std::string_view pubsub_errors = "http://jabber.org/protocol/pubsub#errors";
inline constexpr std::string_view pubsub_node_config =
    "http://jabber.org/protocol/pubsub#node_config";
inline constexpr std::string_view pubsub_publish_options =
    "http://jabber.org/protocol/pubsub#publish-options";
inline constexpr std::string_view pubsub_subscribe_options =
    "http://jabber.org/protocol/pubsub#subscribe_options";
inline constexpr std::string_view pubsub_meta_data = "http://jabber.org/protocol/pubsub#meta-data";
inline constexpr std::string_view private_xml = "jabber:iq:private";                 // 0049
inline constexpr std::string_view bookmarks_legacy = "storage:bookmarks";            // 0048
inline constexpr std::string_view bookmarks = "urn:xmpp:bookmarks:1";                // 0402
inline constexpr std::string_view bookmarks_compat = "urn:xmpp:bookmarks:1#compat";  // 0402
inline constexpr std::string_view bookmarks_compat_pep = "urn:xmpp:bookmarks:1#compat-pep";
inline constexpr std::string_view avatar_data = "urn:xmpp:avatar:data";                      // 0084
inline constexpr std::string_view avatar_metadata = "urn:xmpp:avatar:metadata";              // 0084
inline constexpr std::string_view vcard_update = "vcard-temp:x:update";                      // 0153
inline constexpr std::string_view pep_vcard_conversion = "urn:xmpp:pep-vcard-conversion:0";  // 0398
inline constexpr std::string_view vcard4 = "urn:ietf:params:xml:ns:vcard-4.0";               // 0292
inline constexpr std::string_view nick = "http://jabber.org/protocol/nick";                  // 0172
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
    "http://jabber.org/protocol/muc#self-ping-optimization";               // 0410
inline constexpr std::string_view occupant_id = "urn:xmpp:occupant-id:0";  // 0421
inline constexpr std::string_view direct_invite = "jabber:x:conference";   // 0249

}  // namespace chorus::ns
