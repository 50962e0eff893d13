// Tests for src/http/host_meta.cpp: XEP-0156 documents name the RFC 7395 endpoint.
#include "http/host_meta.h"

#include <gtest/gtest.h>

namespace chorus::http {
namespace {

TEST(HostMeta, UrlFromExternalUrlOrTheRequestsHost)
{
    EXPECT_EQ(websocket_url("https://chat.example.org/", "ignored", false),
              "wss://chat.example.org/xmpp-websocket");
    EXPECT_EQ(websocket_url("http://127.0.0.1:5280", "", false),
              "ws://127.0.0.1:5280/xmpp-websocket");
    EXPECT_EQ(websocket_url("", "example.org:5281", true), "wss://example.org:5281/xmpp-websocket");
}

TEST(HostMeta, XrdAndJrdCarryTheLinkEscaped)  // XEP-0156 examples 2 and 3
{
    const auto xrd = host_meta_xml("wss://a.example/x?y=1&z='2'");
    EXPECT_NE(xrd.find("<Link rel='urn:xmpp:alt-connections:websocket' "
                       "href='wss://a.example/x?y=1&amp;z=&apos;2&apos;'/>"),
              std::string::npos)
        << xrd;
    EXPECT_EQ(host_meta_json("wss://a.example/\"x"),
              "{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":"
              "\"wss://a.example/\\\"x\"}]}\n");
}

}  // namespace
}  // namespace chorus::http
