#!/usr/bin/python3
"""RFC 6121 §8.5 message routing between legacy clients, and XEP-0077 registration.

romeo has three slixmpp resources: home (priority 5), work (1) and low (-1); juliet writes.
A chat to the bare JID goes to the highest-priority resource only and never to a negative
one; headlines go to every non-negative one; a full JID reaches its resource whatever the
priority; a message to a missing account bounces. Then in-band registration over a raw
stream: the form, sign-up, duplicate refused, login with the new account, password change,
removal; and refused when the server does not allow registration.
"""
import sys

import harness

ET = harness.ET
CLIENT = "{jabber:client}"


def bodies(client):
    return [m.findtext(CLIENT + "body") for m in client.inbox if m.tag == CLIENT + "message"]


async def routing():
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}) as server:
        juliet = await server.client("juliet@localhost/balcony", "pw1")
        home = await server.client("romeo@localhost/home", "pw2", priority=5)
        work = await server.client("romeo@localhost/work", "pw2", priority=1)
        low = await server.client("romeo@localhost/low", "pw2", priority=-1)
        romeo = {"home": home, "work": work, "low": low}

        async def settle():
            await juliet.barrier()
            for c in romeo.values():
                await c.barrier()

        def clear():
            for c in [juliet, *romeo.values()]:
                c.inbox.clear()

        clear()
        juliet.send_message(mto="romeo@localhost", mbody="bare", mtype="chat")
        await settle()
        assert bodies(home) == ["bare"], bodies(home)
        assert bodies(work) == [] and bodies(low) == [], "only the highest priority"
        clear()

        juliet.send_message(mto="romeo@localhost", mbody="news", mtype="headline")
        await settle()
        assert bodies(home) == ["news"] and bodies(work) == ["news"] and bodies(low) == []
        clear()

        juliet.send_message(mto="romeo@localhost/low", mbody="direct", mtype="chat")
        await settle()
        assert bodies(low) == ["direct"] and bodies(home) == [] and bodies(work) == []
        clear()

        # home goes unavailable: the next bare-JID chat goes to work, never to low.
        home.send_presence(ptype="unavailable")
        await home.barrier()
        juliet.send_message(mto="romeo@localhost", mbody="second", mtype="chat")
        await settle()
        assert bodies(work) == ["second"] and bodies(home) == [] and bodies(low) == []
        clear()

        juliet.send_message(mto="nobody@localhost", mbody="void", mtype="chat")
        error = await juliet.wait_for(lambda x: x.get("type") == "error", timeout=5)
        assert error.find(f"{CLIENT}error/{{urn:ietf:params:xml:ns:xmpp-stanzas}}"
                          "service-unavailable") is not None
        print("RFC 6121 §8.5 routing: highest priority, headlines, full JID, no such user")


def registration():
    q = "<query xmlns='jabber:iq:register'>{}</query>"
    with harness.Server(config={"allow_registration": True}) as server:
        raw = server.raw()
        features = raw.open_stream()
        features = raw.starttls()
        assert features.find("{http://jabber.org/features/iq-register}register") is not None
        form = raw.request(q.format(""), to="")
        assert form.get("type") == "result"
        assert form.find("{jabber:iq:register}query/{jabber:iq:register}username") is not None
        ok = raw.request(q.format("<username>Mercutio</username><password>s3cret</password>"),
                         type="set", to="")
        assert ok.get("type") == "result", ET.tostring(ok)
        dup = raw.request(q.format("<username>mercutio</username><password>x</password>"),
                          type="set", to="")
        assert harness.stanza_error(dup) == "conflict", ET.tostring(dup)
        raw.close()

        user = server.raw_login("mercutio", "s3cret")  # nodeprep folded the case
        changed = user.request(q.format("<username>mercutio</username><password>n3w</password>"),
                               type="set", to="")
        assert changed.get("type") == "result", ET.tostring(changed)
        user.close()
        refused = server.raw()
        refused.open_stream()
        refused.starttls()
        assert refused.authenticate("mercutio", "s3cret") == "not-authorized"
        refused.close()

        user = server.raw_login("mercutio", "n3w")
        gone = user.request(q.format("<remove/>"), type="set", to="")
        assert gone.get("type") == "result", ET.tostring(gone)
        assert user.wait_stream_error(5) == "not-authorized"
        assert "mercutio" not in server.ctl("listusers", "localhost").stdout

    with harness.Server() as server:
        raw = server.raw()
        raw.open_stream()
        features = raw.starttls()
        assert features.find("{http://jabber.org/features/iq-register}register") is None
        denied = raw.request(q.format("<username>x</username><password>y</password>"),
                             type="set", to="")
        assert harness.stanza_error(denied) == "not-allowed", ET.tostring(denied)
        raw.close()
    print("XEP-0077: form, sign-up, conflict, password change, removal, disabled by default")


async def main():
    await routing()
    registration()


if __name__ == "__main__":
    sys.exit(harness.run(main()))
