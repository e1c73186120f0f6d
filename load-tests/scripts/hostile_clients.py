# Hostile unauthenticated input against one node (run by hostile-clients.sh); bounded, loopback only.
"""Packets before CONNECT, and oversized unfinished CONNECTs, from many connections; prints readiness meanwhile."""
import socket, sys, time, os, threading, urllib.request

port, mgmt, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def ready():
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{mgmt}/health/ready", timeout=3).status
    except Exception as e:
        return str(e)[:60]

def flood(n=300):
    # packets before CONNECT: 4 KB of PINGREQs on each of n connections
    socks = []
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"\xc0\x00" * 2048)
            socks.append(s)
        except OSError:
            pass
    time.sleep(2)
    for s in socks:
        s.close()

def big_connects(n=1000):
    # a CONNECT announcing 512 KiB, sent almost whole (the last byte never comes)
    header = bytes([0x10, 0xFF, 0xFF, 0x1F])  # remaining length 524287
    body = b"\x00\x04MQTT\x05\x02\x00\x3c" + b"\x00" * (524287 - 11)
    socks = []
    t0 = time.time()
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.setblocking(False)
            try:
                s.send(header + body)
            except OSError:
                pass
            socks.append(s)
        except OSError:
            pass
    print(f"  opened {len(socks)} sockets in {time.time()-t0:.1f}s; ready during: {ready()}")
    time.sleep(3)
    print(f"  ready 3 s later: {ready()}")
    for s in socks:
        s.close()

print(f"{kind}: ready before: {ready()}")
if kind == "flood":
    flood()
else:
    big_connects()
time.sleep(1)
print(f"{kind}: ready after: {ready()}")
