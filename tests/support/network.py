"""What a phone's network does to the page, for the benches and tests that measure the wire.

The emulated networks of issue 24, defined once ("4G" = 4 Mbit/s down, 3 up, 40 ms; "3G" = 1.6 down, 0.75 up,
150 ms), applied to a page through Chromium's DevTools protocol, and how to tell from a WebSocket frame that the
server finished a script run (the end of a click's answer).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    down_mbit: float | None  # None: nothing emulated
    up_mbit: float | None
    latency_ms: float

    def cdp_conditions(self) -> dict:
        """The arguments of CDP ``Network.emulateNetworkConditions`` (throughputs in bytes per second)."""
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": self.down_mbit * 1_000_000 / 8,
            "uploadThroughput": self.up_mbit * 1_000_000 / 8,
        }


LOCAL = Profile("127.0.0.1", None, None, 0.0)
PROFILES = {
    profile.name: profile for profile in (LOCAL, Profile("4G", 4.0, 3.0, 40.0), Profile("3G", 1.6, 0.75, 150.0))
}


def emulate_network(page, profile: Profile):
    """A CDP session on ``page`` (Network enabled, so it can count bytes received) with ``profile`` applied."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    if profile.down_mbit is not None:
        session.send("Network.emulateNetworkConditions", profile.cdp_conditions())
    return session


def ends_a_run(payload) -> bool:
    """Whether a frame the server sent over the WebSocket is the end of a script run (``script_finished``)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return False
    message = ForwardMsg()
    message.ParseFromString(payload)
    return message.WhichOneof("type") == "script_finished"
