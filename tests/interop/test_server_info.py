#!/usr/bin/python3
"""XEP-0157 contact addresses in the server's disco#info, and XEP-0215 external services
(STUN/TURN from the config, TURN credentials in coturn's REST API scheme)."""
import base64
import hashlib
import hmac
import sys
import time
import xml.etree.ElementTree as ET

import harness

DATA = "jabber:x:data"
EXT = "urn:xmpp:extdisco:2"
SECRET = "north-wind"


def main():
    config = {"contact.abuse": ["mailto:abuse@localhost"],
              "contact.admin": ["xmpp:admin@localhost", "mailto:admin@localhost"],
              "external_services.stun": ["stun.localhost:3478"],
              "external_services.turn": ["turn.localhost:3479"],
              "external_services.turn_secret": SECRET,
              "external_services.turn_ttl": 3600}
    with harness.Server(users={"juliet": "pw1"}, config=config) as server:
        raw = server.raw_login("juliet", "pw1", resource="r")
        info = raw.request(f"<query xmlns='{harness.NS.disco_info}'/>", to="localhost")
        forms = {}
        for x in info.iter(f"{{{DATA}}}x"):
            fields = {f.get("var"): [v.text for v in f.findall(f"{{{DATA}}}value")]
                      for f in x.findall(f"{{{DATA}}}field")}
            forms[fields["FORM_TYPE"][0]] = fields
        serverinfo = forms.get("http://jabber.org/network/serverinfo")
        assert serverinfo, ET.tostring(info)
        assert serverinfo["abuse-addresses"] == ["mailto:abuse@localhost"]
        assert sorted(serverinfo["admin-addresses"]) == ["mailto:admin@localhost",
                                                         "xmpp:admin@localhost"]
        features = [f.get("var") for f in info.iter(f"{{{harness.NS.disco_info}}}feature")]
        assert EXT in features

        reply = raw.request(f"<services xmlns='{EXT}'/>", to="localhost")
        services = {s.get("type"): s for s in reply.iter(f"{{{EXT}}}service")}
        assert services["stun"].get("host") == "stun.localhost"
        assert services["stun"].get("port") == "3478" and not services["stun"].get("password")
        turn = services["turn"]
        user = turn.get("username")
        expiry, jid = user.split(":", 1)
        assert jid == "juliet@localhost" and 3500 < int(expiry) - time.time() <= 3600
        want = base64.b64encode(hmac.new(SECRET.encode(), user.encode(), hashlib.sha1).digest())
        assert turn.get("password") == want.decode(), "coturn's use-auth-secret scheme"
        assert turn.get("restricted") == "true" and turn.get("expires").endswith("Z")

        only_turn = raw.request(f"<services xmlns='{EXT}' type='turn'/>", to="localhost")
        assert [s.get("type") for s in only_turn.iter(f"{{{EXT}}}service")] == ["turn"]
        creds = raw.request(f"<credentials xmlns='{EXT}'><service host='turn.localhost' "
                            f"type='turn'/></credentials>", to="localhost")
        assert creds.find(f"{{{EXT}}}credentials/{{{EXT}}}service").get("password")
        missing = raw.request(f"<credentials xmlns='{EXT}'><service host='nope'/></credentials>",
                              to="localhost")
        assert harness.stanza_error(missing) == "item-not-found", ET.tostring(missing)
        assert raw.ping()
        print("XEP-0157 contact form and XEP-0215 STUN/TURN with REST-API credentials")


if __name__ == "__main__":
    sys.exit(main())
