#!/usr/bin/env python3
# How late, after their due time, ThroughputCell's PUBLISH packets reach the loopback interface on their way to a
# broker: the part of a latency run's wait that is the load generator's (its MQTT client handing the publish to
# its event loop, that loop writing it), apart from the broker's (docs/performance.md, "Where the persistent
# cell's steady wait is"). ThroughputCell writes each message's due time (System.nanoTime(), which on Linux is
# CLOCK_MONOTONIC, the clock of time.monotonic_ns() here) into the first 8 bytes of its payload; this reads the
# client's outgoing packets to PORT on `lo`, takes the due time out of each PUBLISH and prints percentiles.
#
# Usage (root, or CAP_NET_RAW: a raw AF_PACKET socket), started while the latency run is under way:
#   load-tests/scripts/publish-wire-lateness.py PORT SECONDS [DELAY_SECONDS] [MQTT_VERSION]
#   e.g. sudo load-tests/scripts/publish-wire-lateness.py 18851 4 3 5
# MQTT_VERSION 5 (default; its PUBLISH carries a properties length) or 3 (3.1.1). A sniffer written by hand:
# tcpdump/tshark are not on the machines this runs on, and neither knows ThroughputCell's payload.
import socket
import struct
import sys
import time

PACKET_OUTGOING = 4  # sll_pkttype: on `lo` every packet is seen outgoing and incoming; one is enough


def varint(b, i):
    """An MQTT variable byte integer at b[i]: (value, index after it); IndexError when b ends first."""
    mult, value = 1, 0
    while True:
        c = b[i]
        i += 1
        value += (c & 127) * mult
        if c & 128 == 0:
            return value, i
        mult *= 128


def due_times(stream, v5):
    """The due times of the complete PUBLISH packets at the start of stream, and what is left of it."""
    found, i = [], 0
    while len(stream) - i >= 2:
        try:
            length, j = varint(stream, i + 1)
        except IndexError:
            break
        if len(stream) < j + length:
            break
        if stream[i] >> 4 == 3:  # PUBLISH
            body = stream[j:j + length]
            k = 2 + struct.unpack('!H', body[:2])[0]
            if (stream[i] >> 1) & 3:  # QoS 1 or 2: a packet identifier
                k += 2
            if v5:
                props, k = varint(body, k)
                k += props
            if len(body) - k >= 16:
                found.append(struct.unpack('!q', body[k:k + 8])[0])
        i = j + length
    return found, stream[i:]


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0
    v5 = (sys.argv[4] if len(sys.argv) > 4 else '5') != '3'
    time.sleep(delay)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))  # ETH_P_ALL
    sock.bind(('lo', 0))
    streams, lateness = {}, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        packet, address = sock.recvfrom(65535)
        now = time.monotonic_ns()
        ip = packet[14:]
        if address[2] != PACKET_OUTGOING or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 15) * 4:]
        source, destination = struct.unpack('!HH', tcp[:4])
        data = tcp[(tcp[12] >> 4) * 4:]
        if destination != port or not data:
            continue
        # a TCP segment may end in the middle of a packet: the rest comes with the next one
        found, streams[source] = due_times(streams.get(source, b'') + data, v5)
        lateness.extend(now - due for due in found if 0 < now - due < 10_000_000_000)
    lateness.sort()
    n = len(lateness)
    if n == 0:
        print('no PUBLISH with a due time seen on lo to port %d' % port)
        return 1
    print('PUBLISH on the wire after its due time: %d packets, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms'
          % (n, lateness[n // 2] / 1e6, lateness[n * 9 // 10] / 1e6, lateness[n * 99 // 100] / 1e6))
    return 0


if __name__ == '__main__':
    sys.exit(main())
