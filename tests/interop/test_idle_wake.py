#!/usr/bin/python3
"""Idle sessions give their XML parser state back (every ~2 s) and wake on the next bytes.

Two clients stay silent long enough for the server's idle sweep to free their parsers, then
use every kind of stanza again, including a namespace the stream header never declared.
"""
import asyncio
import sys

import harness

ET = harness.ET


async def main():
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}) as server:
        juliet = await server.client("juliet@localhost/balcony", "pw1")
        romeo = await server.client("romeo@localhost/garden", "pw2")
        await asyncio.sleep(5)  # two sweeps: both sessions hibernate their parsers
        await juliet.barrier()  # an IQ on a woken stream
        juliet.send_message(mto="romeo@localhost", mbody="after the silence", mtype="chat")
        msg = await romeo.wait_for(lambda x: x.tag == "{jabber:client}message", timeout=5)
        assert msg.findtext("{jabber:client}body") == "after the silence"
        await asyncio.sleep(5)
        raw = server.raw_login("romeo", "pw2", resource="raw")
        await asyncio.sleep(5)
        assert raw.ping(), "a raw stream woken after hibernation answers"
        reply = raw.request("<query xmlns='http://jabber.org/protocol/disco#info'/>")
        assert reply.get("type") == "result"
        raw.close()
        print("idle sessions wake with their stream state intact")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
