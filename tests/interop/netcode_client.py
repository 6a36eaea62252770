#!/usr/bin/env python3
"""A netcode 1.02 client written from the standard alone (mas-bandwidth/netcode STANDARD.md), with
PyNaCl for the AEADs, plus what Arbiter documents in docs/protocol.md: the bundle framing, renet's
packet layout and postcard messages. It proves a client built by someone else reaches Arbiter.

Usage: netcode_client.py TOKEN_BASE64 [SECONDS]
Connects with the 2,048-byte public connect token, checks every packet the server sends against the
standard (1 to 8 sequence bytes, sizes, replay), reads Welcome, sends a Ping and waits for its Pong,
then disconnects. Prints one JSON line; exit status 0 when all of that happened.
"""

import base64
import json
import socket
import struct
import sys
import time

from nacl.bindings import (
    crypto_aead_chacha20poly1305_ietf_decrypt,
    crypto_aead_chacha20poly1305_ietf_encrypt,
)
from nacl.exceptions import CryptoError

VERSION_INFO = b"NETCODE 1.02\x00"
REQUEST, DENIED, CHALLENGE, RESPONSE, KEEP_ALIVE, PAYLOAD, DISCONNECT = range(7)
BODY_SIZES = {DENIED: (0, 0), CHALLENGE: (308, 308), KEEP_ALIVE: (8, 8), PAYLOAD: (1, 1200), DISCONNECT: (0, 0)}
SEND_INTERVAL = 0.1  # the standard's "some rate, like 10HZ" for handshake packets and keep-alives
REPLAY_WINDOW = 256

# Arbiter's channels and messages (docs/protocol.md).
COMMAND_CHANNEL, SNAPSHOT_CHANNEL, EVENT_CHANNEL = 1, 0, 1
CLIENT_PING = 4
SERVER_WELCOME, SERVER_PONG = 0, 10


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def u8(self):
        return self.take(1)[0]

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def quic_varint(self):
        """renet's varints (RFC 9000): the top two bits give the length, big-endian."""
        first = self.u8()
        value = first & 0x3F
        for _ in range((1 << (first >> 6)) - 1):
            value = value << 8 | self.u8()
        return value

    def leb128(self):
        """postcard's varints: little-endian base 128."""
        value, shift = 0, 0
        while True:
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            if byte & 0x80 == 0:
                return value
            shift += 7


def leb128(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def quic_varint(value):
    for length, tag in ((1, 0x00), (2, 0x40), (4, 0x80), (8, 0xC0)):
        if value < 1 << (8 * length - 2):
            encoded = bytearray(value.to_bytes(length, "big"))
            encoded[0] |= tag
            return bytes(encoded)
    raise ValueError("varint too large")


def parse_token(raw):
    if len(raw) != 2048:
        raise ValueError(f"a connect token has 2048 bytes, this one {len(raw)}")
    r = Reader(raw)
    if r.take(13) != VERSION_INFO:
        raise ValueError("not a netcode 1.02 token")
    token = {
        "protocol_id": r.unpack("<Q"),
        "create": r.unpack("<Q"),
        "expire": r.unpack("<Q"),
        "nonce": r.take(24),
        "private": r.take(1024),
        "timeout": r.unpack("<i"),
    }
    count = r.unpack("<I")
    if not 1 <= count <= 32:
        raise ValueError(f"{count} server addresses")
    addresses = []
    for _ in range(count):
        kind = r.u8()
        if kind == 1:
            host = ".".join(str(b) for b in r.take(4))
        elif kind == 2:
            host = ":".join(f"{r.unpack('<H'):x}" for _ in range(8))
        else:
            raise ValueError(f"address type {kind}")
        addresses.append((host, r.unpack("<H")))
    token["addresses"] = addresses
    token["client_to_server_key"] = r.take(32)
    token["server_to_client_key"] = r.take(32)
    if token["create"] > token["expire"]:
        raise ValueError("created after it expires")
    return token


class Client:
    def __init__(self, token):
        self.token = token
        self.protocol_id = token["protocol_id"]
        self.address = token["addresses"][0]
        family = socket.AF_INET6 if ":" in self.address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_DGRAM)
        self.socket.settimeout(0.01)
        self.sequence = 0
        self.most_recent = 0
        self.received = {}
        self.stats = {"packets_received": 0, "payload_packets": 0, "keep_alives": 0,
                      "nonconformant_packets": 0, "replayed": 0}

    def additional_data(self, prefix):
        return VERSION_INFO + struct.pack("<Q", self.protocol_id) + bytes([prefix])

    def send(self, kind, data):
        sequence_bytes = max(1, (self.sequence.bit_length() + 7) // 8)
        prefix = sequence_bytes << 4 | kind
        nonce = b"\x00" * 4 + struct.pack("<Q", self.sequence)
        sealed = crypto_aead_chacha20poly1305_ietf_encrypt(
            data, self.additional_data(prefix), nonce, self.token["client_to_server_key"])
        self.socket.sendto(bytes([prefix]) + self.sequence.to_bytes(sequence_bytes, "little") + sealed,
                           self.address)
        self.sequence += 1

    def send_request(self):
        t = self.token
        self.socket.sendto(bytes([REQUEST]) + VERSION_INFO + struct.pack("<QQ", self.protocol_id, t["expire"])
                           + t["nonce"] + t["private"], self.address)

    def replayed(self, sequence):
        if sequence + REPLAY_WINDOW <= self.most_recent:
            return True
        seen = self.received.get(sequence % REPLAY_WINDOW)
        return seen is not None and seen >= sequence

    def receive(self):
        """The next valid packet as (kind, body), None when nothing valid arrived in 10 ms."""
        try:
            packet, source = self.socket.recvfrom(2048)
        except socket.timeout:
            return None
        if source[:2] != self.address or len(packet) < 18:
            return None
        prefix = packet[0]
        kind, sequence_bytes = prefix & 0x0F, prefix >> 4
        if kind >= 7 or kind in (REQUEST, RESPONSE) or not 1 <= sequence_bytes <= 8:
            self.stats["nonconformant_packets"] += 1
            return None
        if len(packet) < 1 + sequence_bytes + 16:
            self.stats["nonconformant_packets"] += 1
            return None
        sequence = int.from_bytes(packet[1 : 1 + sequence_bytes], "little")
        protected = kind in (KEEP_ALIVE, PAYLOAD, DISCONNECT)
        if protected and self.replayed(sequence):
            self.stats["replayed"] += 1
            return None
        nonce = b"\x00" * 4 + struct.pack("<Q", sequence)
        try:
            body = crypto_aead_chacha20poly1305_ietf_decrypt(
                packet[1 + sequence_bytes :], self.additional_data(prefix), nonce,
                self.token["server_to_client_key"])
        except CryptoError:
            self.stats["nonconformant_packets"] += 1
            return None
        if protected:
            self.received[sequence % REPLAY_WINDOW] = sequence
            self.most_recent = max(self.most_recent, sequence)
        low, high = BODY_SIZES[kind]
        if not low <= len(body) <= high:
            self.stats["nonconformant_packets"] += 1
            return None
        self.stats["packets_received"] += 1
        return kind, body


def renet_messages(payload):
    """Arbiter's bundle (LEB128 length + frame, repeated), then renet's small packets: yields
    (channel, message bytes). Message frames (first byte 0x80: snapshots, outside renet) are
    skipped, as are renet's slices and acks."""
    bundle = Reader(payload)
    while bundle.at < len(payload):
        packet = Reader(bundle.take(bundle.leb128()))
        kind = packet.u8()
        if kind not in (0, 1):  # 0 small reliable, 1 small unreliable
            continue
        packet.quic_varint()  # packet sequence
        channel = packet.u8()
        for _ in range(packet.unpack(">H")):
            if kind == 0:
                packet.quic_varint()  # message id
            yield channel, packet.take(packet.quic_varint())


def ping_bundle(sequence, client_time_us):
    """One renet small reliable packet on the Command channel holding one postcard Ping, bundled."""
    message = leb128(CLIENT_PING) + leb128(client_time_us)
    packet = (bytes([0]) + quic_varint(sequence) + bytes([COMMAND_CHANNEL]) + struct.pack(">H", 1)
              + quic_varint(0) + quic_varint(len(message)) + message)
    return leb128(len(packet)) + packet


def main():
    token = parse_token(base64.b64decode(sys.argv[1].strip()))
    deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 10.0)
    client = Client(token)
    state, challenge, last_sent = "requesting", None, 0.0
    welcome_player_id, pong, ping_time, renet_sequence = None, False, 4242, 0
    while time.monotonic() < deadline and not pong:
        now = time.monotonic()
        if now - last_sent >= SEND_INTERVAL:
            last_sent = now
            if state == "requesting":
                client.send_request()
            elif state == "responding":
                client.send(RESPONSE, challenge)
            elif welcome_player_id is not None:
                # The Ping rides again until its Pong arrives, as renet resends unacknowledged
                # reliable messages (same message id: the server reads it once). The Pong itself
                # is unreliable: on a lossy network a client sends a new Ping (the next message
                # id) when one does not come; on loopback nothing is lost.
                client.send(PAYLOAD, ping_bundle(renet_sequence, ping_time))
                renet_sequence += 1
            else:
                client.send(KEEP_ALIVE, bytes(8))
        received = client.receive()
        if received is None:
            continue
        kind, body = received
        if kind == DENIED:
            state = "denied"
            break
        if kind == CHALLENGE and state == "requesting":
            state, challenge, last_sent = "responding", body, 0.0
        elif kind == KEEP_ALIVE:
            client.stats["keep_alives"] += 1
            if state == "responding":
                state = "connected"
        elif kind == PAYLOAD and state == "connected":
            client.stats["payload_packets"] += 1
            for channel, message in renet_messages(body):
                r = Reader(message)
                variant = r.leb128()
                if channel == EVENT_CHANNEL and variant == SERVER_WELCOME:
                    welcome_player_id = r.leb128()
                elif channel == SNAPSHOT_CHANNEL and variant == SERVER_PONG and r.leb128() == ping_time:
                    pong = True
        elif kind == DISCONNECT:
            state = "disconnected by server"
            break
    if state == "connected":
        for _ in range(10):
            client.send(DISCONNECT, b"")
    report = {"state": state, "welcome_player_id": welcome_player_id, "pong": pong, **client.stats}
    print(json.dumps(report))
    ok = state == "connected" and pong and welcome_player_id is not None and client.stats["nonconformant_packets"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
