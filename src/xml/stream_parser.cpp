// StreamParser on expat: stanzas as trees at depth 2, RFC 6120 §11 restricted XML enforced.
#include "xml/stream_parser.h"

#include <expat.h>

#include <algorithm>
#include <cstring>

#include "stanza/namespaces.h"
#include "xml/parser_arena.h"

namespace chorus::xml {

struct StreamParser::Impl {
    StreamParser& owner;
    StreamHandler& handler;
    ParserLimits limits;
    ParserArena arena;  // all of expat's memory for this stream
    XML_Parser parser = nullptr;
    int depth = 0;
    std::string default_ns;      // xmlns of the stream header (jabber:client)
    Element stanza;              // the stanza being built (depth 2)
    std::vector<Element*> open;  // path of open elements below the stream
    XML_Index mark = 0;          // byte index of the current stanza's start
    XML_Index fed = 0;           // bytes fed since the parser was created
    XML_Index stop_at = -1;      // byte index where pause() stopped parsing
    bool closed = false;
    // Namespace declarations of the stream header, to rebuild it after hibernate().
    std::vector<std::pair<std::string, std::string>> header_decls;
    bool priming = false;  // feeding the rebuilt header: no events for it

    Impl(StreamParser& o, StreamHandler& h, ParserLimits l) : owner(o), handler(h), limits(l)
    {
        create();
    }
    ~Impl() { free_parser(); }

    void free_parser()
    {
        if (parser) {
            {
                ParserArena::Scope scope(arena);
                XML_ParserFree(parser);
            }
            parser = nullptr;
            arena.release();
        }
    }

    void create()
    {
        free_parser();
        header_decls.clear();
        make_parser();
        depth = 0;
        default_ns.clear();
        stanza = Element();
        open.clear();
        mark = 0;
        fed = 0;
        stop_at = -1;
        closed = false;
    }

    void make_parser()
    {
        {
            ParserArena::Scope scope(arena);
            parser = XML_ParserCreate_MM("UTF-8", ParserArena::suite(), "|");
        }
        XML_SetUserData(parser, this);
#ifdef CHORUS_HAVE_EXPAT_REPARSE_DEFERRAL
        // A stanza must be handled when its last byte arrives, not when the peer next
        // sends something (CVE-2023-52425's deferral would hold a small final segment).
        XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#endif
        XML_SetElementHandler(parser, &Impl::start, &Impl::end);
        XML_SetCharacterDataHandler(parser, &Impl::chars);
        XML_SetStartNamespaceDeclHandler(parser, &Impl::ns_decl);
        XML_SetCommentHandler(parser, &Impl::comment);
        XML_SetProcessingInstructionHandler(parser, &Impl::pi);
        XML_SetStartDoctypeDeclHandler(parser, &Impl::doctype);
        XML_SetEntityDeclHandler(parser, &Impl::entity);
    }

    /// The header to re-feed after hibernation: the same namespace bindings, nothing else.
    std::string rebuilt_header() const
    {
        std::string out = "<";
        for (const auto& [prefix, uri] : header_decls) {
            if (uri == ns::streams && !prefix.empty()) {
                out += prefix + ":stream";
                break;
            }
        }
        for (const auto& [prefix, uri] : header_decls) {
            out += prefix.empty() ? " xmlns='" : " xmlns:" + prefix + "='";
            out += uri;  // URIs from a parsed header: no quote can be in them unescaped
            out += '\'';
        }
        out += '>';
        return out;
    }

    /// A new expat parser positioned inside the stream, as the old one was.
    void wake()
    {
        make_parser();
        const auto header = rebuilt_header();
        depth = 0;  // the rebuilt header opens the stream again, at depth 1
        priming = true;
        ParserArena::Scope scope(arena);
        XML_Parse(parser, header.data(), static_cast<int>(header.size()), XML_FALSE);
        priming = false;
        fed = mark = static_cast<XML_Index>(header.size());
    }

    void fail(ParseError e, std::string text)
    {
        if (owner.error_ == ParseError::none) {
            owner.error_ = e;
            owner.error_text_ = std::move(text);
        }
        XML_StopParser(parser, XML_FALSE);
    }

    XML_Index event_end() const
    {
        return XML_GetCurrentByteIndex(parser) + XML_GetCurrentByteCount(parser);
    }

    static void split_name(const char* qname, std::string& name, std::string& ns)
    {
        const char* bar = std::strrchr(qname, '|');
        if (bar) {
            ns.assign(qname, static_cast<std::size_t>(bar - qname));
            name.assign(bar + 1);
        } else {
            ns.clear();
            name.assign(qname);
        }
    }

    static void copy_attrs(const char** atts, Element& e)
    {
        static constexpr std::string_view xml_prefix = "http://www.w3.org/XML/1998/namespace|";
        auto& out = e.attrs();
        int count = 0;
        while (atts[2 * count]) {
            ++count;
        }
        out.reserve(static_cast<std::size_t>(count));
        for (int i = 0; atts[i]; i += 2) {
            std::string_view name = atts[i];
            if (name.starts_with(xml_prefix)) {
                out.push_back({"xml:" + std::string(name.substr(xml_prefix.size())), atts[i + 1]});
            } else {
                out.push_back({std::string(name), atts[i + 1]});
            }
        }
    }

    static void start(void* ud, const char* qname, const char** atts)
    {
        auto& s = *static_cast<Impl*>(ud);
        ++s.depth;
        int count = 0;
        while (atts[2 * count]) {
            ++count;
        }
        if (count > s.limits.max_attributes) {
            return s.fail(ParseError::policy_violation, "too many attributes");
        }
        if (s.depth == 1) {
            if (s.priming) {
                return;
            }
            Element header;
            std::string name, ns;
            split_name(qname, name, ns);
            if (name != "stream" || ns != ns::streams) {
                return s.fail(ParseError::invalid_namespace, "not an XMPP stream");
            }
            header = Element(std::move(name), std::move(ns));
            copy_attrs(atts, header);
            header.set_attr("xmlns", s.default_ns);
            s.mark = s.event_end();
            s.handler.on_stream_open(header);
            return;
        }
        if (s.depth > s.limits.max_depth) {
            return s.fail(ParseError::policy_violation, "XML nesting too deep");
        }
        if (s.depth == 2) {
            s.mark = XML_GetCurrentByteIndex(s.parser);
            s.stanza = Element();
            s.open.clear();
        } else if (XML_GetCurrentByteIndex(s.parser) - s.mark >
                   static_cast<XML_Index>(s.limits.max_stanza_bytes)) {
            return s.fail(ParseError::policy_violation, "stanza too large");
        }
        std::string name, ns;
        split_name(qname, name, ns);
        Element* e;
        if (s.depth == 2) {
            s.stanza = Element(std::move(name), std::move(ns));
            e = &s.stanza;
        } else {
            e = &s.open.back()->add_child(Element(std::move(name), std::move(ns)));
        }
        copy_attrs(atts, *e);
        s.open.push_back(e);
    }

    static void end(void* ud, const char*)
    {
        auto& s = *static_cast<Impl*>(ud);
        // Expat still reports the end of an empty element whose start handler stopped the
        // parser (a limit was hit): that element was never built, so nothing may come out.
        if (s.owner.error_ != ParseError::none) {
            return;
        }
        --s.depth;
        if (s.depth == 0) {
            s.closed = true;
            s.handler.on_stream_close();
            XML_StopParser(s.parser, XML_FALSE);
            return;
        }
        s.open.pop_back();
        if (s.depth == 1) {
            const XML_Index end_at = s.event_end();
            if (end_at - s.mark > static_cast<XML_Index>(s.limits.max_stanza_bytes)) {
                return s.fail(ParseError::policy_violation, "stanza too large");
            }
            s.mark = end_at;
            s.handler.on_stanza(std::move(s.stanza));
            s.stanza = Element();
        }
    }

    static void chars(void* ud, const char* text, int len)
    {
        auto& s = *static_cast<Impl*>(ud);
        if (s.depth >= 2) {
            s.open.back()->add_text(std::string_view(text, static_cast<std::size_t>(len)));
            return;
        }
        for (int i = 0; i < len; ++i) {
            if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
                return s.fail(ParseError::not_well_formed, "text at stream level");
            }
        }
        s.mark = s.event_end();  // whitespace keepalives do not count toward a stanza
    }

    static void ns_decl(void* ud, const char* prefix, const char* uri)
    {
        auto& s = *static_cast<Impl*>(ud);
        if (s.depth == 0 && !s.priming) {
            s.header_decls.emplace_back(prefix ? prefix : "", uri ? uri : "");
            if (!prefix) {
                s.default_ns = uri ? uri : "";
            }
        }
    }
    static void comment(void* ud, const char*)
    {
        static_cast<Impl*>(ud)->fail(ParseError::restricted_xml, "comments are not allowed");
    }
    static void pi(void* ud, const char*, const char*)
    {
        static_cast<Impl*>(ud)->fail(ParseError::restricted_xml,
                                     "processing instructions are not allowed");
    }
    static void doctype(void* ud, const char*, const char*, const char*, int)
    {
        static_cast<Impl*>(ud)->fail(ParseError::restricted_xml, "DTDs are not allowed");
    }
    static void entity(void* ud, const char*, int, const char*, int, const char*, const char*,
                       const char*, const char*)
    {
        static_cast<Impl*>(ud)->fail(ParseError::restricted_xml,
                                     "entity declarations are not allowed");
    }
};

StreamParser::StreamParser(StreamHandler& handler, ParserLimits limits)
    : impl_(std::make_unique<Impl>(*this, handler, limits))
{
}

StreamParser::~StreamParser() = default;

std::size_t StreamParser::feed(std::string_view data)
{
    auto& s = *impl_;
    if (error_ != ParseError::none || s.closed) {
        return data.size();
    }
    if (!s.parser) {
        s.wake();
    }
    const XML_Index before = s.fed;
    s.fed += static_cast<XML_Index>(data.size());
    XML_Status status;
    {
        ParserArena::Scope scope(s.arena);
        status = XML_Parse(s.parser, data.data(), static_cast<int>(data.size()), XML_FALSE);
    }
    if (status == XML_STATUS_ERROR) {
        if (error_ != ParseError::none || s.closed) {
            return data.size();
        }
        if (s.stop_at >= 0) {  // pause(): the rest is for the restarted stream
            const auto consumed = static_cast<std::size_t>(s.stop_at - before);
            s.stop_at = -1;
            return consumed;
        }
        const auto code = XML_GetErrorCode(s.parser);
        // RFC 6120 §11.1: entity references other than the five predefined ones are
        // restricted XML (§4.9.3.18), not merely malformed.
        error_ = code == XML_ERROR_UNDEFINED_ENTITY ? ParseError::restricted_xml
                                                    : ParseError::not_well_formed;
        error_text_ = XML_ErrorString(code);
        return data.size();
    }
    if (s.fed - s.mark > static_cast<XML_Index>(s.limits.max_stanza_bytes)) {
        error_ = ParseError::policy_violation;
        error_text_ = "stanza too large";
    }
    return data.size();
}

bool StreamParser::hibernate()
{
    auto& s = *impl_;
    const bool streams_prefixed =
        std::any_of(s.header_decls.begin(), s.header_decls.end(),
                    [](const auto& d) { return d.second == ns::streams && !d.first.empty(); });
    // Only between stanzas, with nothing buffered: then the rebuilt header restores all of
    // the state a new parser needs.
    if (!s.parser || s.depth != 1 || s.fed != s.mark || !streams_prefixed ||
        error_ != ParseError::none || s.closed) {
        return false;
    }
    s.free_parser();
    return true;
}

void StreamParser::discard()
{
    impl_->free_parser();
    impl_->closed = true;
}

void StreamParser::set_max_stanza_bytes(std::size_t bytes) noexcept
{
    impl_->limits.max_stanza_bytes = bytes;
}

void StreamParser::pause()
{
    impl_->stop_at = impl_->event_end();
    XML_StopParser(impl_->parser, XML_FALSE);
}

void StreamParser::reset()
{
    impl_->create();
}

}  // namespace chorus::xml
