"""A real SMTP server for the e-mail tests: aiosmtpd in a thread of the test process, on a free local port.

It keeps every message it accepted (parsed), and can be told to refuse a recipient (550) or to take the message
and then stall instead of answering (the client times out after the server has the message: delivery uncertain).
"""
import asyncio
import socket
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.received.append(message)
        if self.server.stall.is_set():
            await asyncio.sleep(3600)  # the client gives up first; the message has arrived all the same
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list = []
        self.refuse: set[str] = set()
        self.stall = threading.Event()
        self.lock = threading.Lock()
        self._controller = None

    def start(self):
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self.stall.clear()
            self._controller.stop()
            self._controller = None

    def messages(self, to: str | None = None) -> list:
        with self.lock:
            return [m for m in self.received if to is None or m["To"] == to]

    def config(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port}


@pytest.fixture
def mail_server():
    server = MailServer().start()
    try:
        yield server
    finally:
        server.stop()


def body(message) -> str:
    return message.get_body(("plain",)).get_content()
