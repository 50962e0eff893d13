#!/usr/bin/python3
"""RFC 6121 §8.5 message routing between legacy clients, and XEP-0077 registration.

romeo has three slixmpp resources: home (priority 5), work (1) and low (-1); juliet writes.
A chat to the bare JID goes to the highest-priority resource only and never to a negative
one; headlines go to every non-negative one; a full JID reaches its resource whatever the
priority; a message to a missing account bounces. Then in-band registration over a raw
stream: the form, sign-up, duplicate refused, login with the new account, password change,
removal; and refused when the server does not allow registration. A cancelled account
takes its data with it: registered again under the same name, it starts with an empty roster,
vCard, block list, archive and offline queue, while its contact keeps their conversation.
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


MAM = harness.NS.mam
RSM = harness.NS.rsm


def archive_count(client, with_jid=None):
    """How many messages the client's own archive holds (RSM count of an empty page)."""
    form = ""
    if with_jid:
        form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                f"<value>{MAM}</value></field><field var='with'><value>{with_jid}</value>"
                "</field></x>")
    fin = client.request(f"<query xmlns='{MAM}'>{form}<set xmlns='{RSM}'><max>0</max></set>"
                         "</query>", type="set", to=None)
    assert fin.get("type") == "result", ET.tostring(fin)
    return int(fin.findtext(f"{{{MAM}}}fin/{{{RSM}}}set/{{{RSM}}}count"))


def cancelled_account_starts_empty():
    q = "<query xmlns='jabber:iq:register'>{}</query>"
    signup = q.format("<username>mercutio</username><password>{}</password>")
    with harness.Server(users={"benvolio": "pw"}, config={"allow_registration": True}) as server:
        def sign_up(password):
            raw = server.raw()
            raw.open_stream()
            raw.starttls()
            ok = raw.request(signup.format(password), type="set", to="")
            assert ok.get("type") == "result", ET.tostring(ok)
            raw.close()

        sign_up("first")

        first = server.raw_login("mercutio", "first", resource="sword")
        for payload in ["<vCard xmlns='vcard-temp'><FN>Mercutio</FN></vCard>",
                        "<query xmlns='jabber:iq:roster'><item jid='benvolio@localhost'/></query>",
                        "<block xmlns='urn:xmpp:blocking'><item jid='tybalt@localhost'/></block>"]:
            assert first.request(payload, type="set", to=None).get("type") == "result", payload
        benvolio = server.raw_login("benvolio", "pw", resource="street")
        benvolio.send("<presence/>")
        assert benvolio.ping()
        first.send("<message to='benvolio@localhost' type='chat' id='m1'><body>A plague"
                   "</body></message>")
        benvolio.wait_tag(CLIENT + "message")
        # mercutio has sent no presence: this one waits in his offline queue.
        benvolio.send("<message to='mercutio@localhost' type='chat' id='m2'><body>Courage"
                      "</body></message>")
        assert benvolio.ping() and first.ping()
        assert archive_count(first) == 2 and archive_count(benvolio, "mercutio@localhost") == 2

        gone = first.request(q.format("<remove/>"), type="set", to="")
        assert gone.get("type") == "result", ET.tostring(gone)
        assert first.wait_stream_error(5) == "not-authorized"
        assert benvolio.ping()  # the cancellation is done once its stream is closed

        sign_up("second")
        second = server.raw_login("mercutio", "second", resource="sword")
        roster = second.request("<query xmlns='jabber:iq:roster'/>", to=None)
        assert list(roster.find("{jabber:iq:roster}query")) == [], ET.tostring(roster)
        vcard = second.request("<vCard xmlns='vcard-temp'/>", to=None)
        assert vcard.findtext("{vcard-temp}vCard/{vcard-temp}FN") is None, ET.tostring(vcard)
        blocked = second.request("<blocklist xmlns='urn:xmpp:blocking'/>", to=None)
        assert list(blocked.find("{urn:xmpp:blocking}blocklist")) == [], ET.tostring(blocked)
        assert archive_count(second) == 0, "the old account's archive went with it"
        second.send("<presence/>")
        assert second.ping()
        assert not second.unconsumed(CLIENT + "message"), \
            "the old account's offline queue went with it"
        assert archive_count(benvolio, "mercutio@localhost") == 2, "the contact keeps theirs"
        second.close()
        benvolio.close()
    print("XEP-0077 cancel: the account's data goes with it; its contact's archive stays")


async def main():
    await routing()
    registration()
    cancelled_account_starts_empty()


if __name__ == "__main__":
    sys.exit(harness.run(main()))
