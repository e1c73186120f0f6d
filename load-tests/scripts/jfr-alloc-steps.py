#!/usr/bin/env python3
# Where a node's allocation goes, by step of a delivery: the sampled bytes (jdk.ObjectAllocationSample, its
# weight) of a Java Flight Recording, each sample given to the first step below whose pattern its stack holds,
# then the heaviest allocation sites (allocated class, allocating frame, innermost frame of the project's code).
# Usage: load-tests/scripts/jfr-alloc-steps.py recording.jfr [skip-seconds] [sites]   (needs the JDK's jfr tool)
# skip-seconds: samples of the recording's first seconds are left out (node start, warm-up run).
# e.g. JAR=<jar> JFR=/tmp/alloc.jfr load-tests/scripts/alloc-per-delivery.sh, then
#      load-tests/scripts/jfr-alloc-steps.py /tmp/alloc.jfr 35
import collections, re, subprocess, sys
path = sys.argv[1]
skip = float(sys.argv[2]) if len(sys.argv) > 2 else 0
nsites = int(sys.argv[3]) if len(sys.argv) > 3 else 25
STEPS = [  # first match wins: H2 work under the queue table's statements before the table's own code
    ('H2 (the queue table\'s statements and commit)', lambda top, j: any('org.h2.' in x for x in top)),
    ('queue rows: QueueTable / QueueMapStore (own code)', lambda top, j: 'QueueTable' in j or 'QueueMapStore' in j),
    ('Hazelcast: entry processors, serialisation', lambda top, j: 'com.hazelcast' in j),
    ('outbound: PUBLISH to the subscriber', lambda top, j: 'sendPublish' in j or 'MqttEncoder' in j),
    ('session: intake, window, QueueWriter', lambda top, j: 'io.mqttgrid.session' in j),
    ('inbound: read, frame, decode PUBLISH', lambda top, j: 'InboundPublishes' in j or 'MqttDecoder' in j or 'InboundGuard' in j),
    ('routing', lambda top, j: 'io.mqttgrid.routing' in j or 'io.mqttgrid.publish' in j),
    ('PUBACK handling, other MQTT', lambda top, j: 'io.mqttgrid.mqtt' in j),
    ('the recording itself', lambda top, j: 'jdk.jfr' in j),
    ('Vert.x / Netty, other', lambda top, j: 'io.vertx' in j or 'io.netty' in j),
]
UNITS = {'bytes': 1, 'kB': 1e3, 'MB': 1e6, 'GB': 1e9}
def seconds(t):
    h, m, s = t.split(':')
    return int(h) * 3600 + int(m) * 60 + float(s)
proc = subprocess.Popen(['jfr', 'print', '--events', 'jdk.ObjectAllocationSample', '--stack-depth', '64', path],
                        stdout=subprocess.PIPE, text=True)
events, cur, first = [], None, None
for line in proc.stdout:
    line = line.rstrip()
    if line.startswith('jdk.ObjectAllocationSample'):
        cur = {'frames': [], 'thread': '', 'cls': '', 'w': 0, 't': 0}
    elif cur is None:
        continue
    elif line.startswith('  startTime'):
        cur['t'] = seconds(line.split('=')[1].strip())
    elif line.startswith('  objectClass'):
        cur['cls'] = line.split('=')[1].split('(')[0].strip()
    elif line.startswith('  weight'):
        v, u = line.split('=')[1].split()
        cur['w'] = float(v) * UNITS[u]
    elif line.startswith('  eventThread'):
        cur['thread'] = re.sub(r'\d+', 'N', line.split('"')[1])
    elif line.startswith('    ') and not line.startswith('    ...'):
        cur['frames'].append(line.strip())
    elif line == '}':
        first = cur['t'] if first is None else first
        if cur['t'] - first >= skip:
            events.append(cur)
        cur = None
total = sum(e['w'] for e in events) or 1
steps = collections.Counter()
sites = collections.Counter()
for e in events:
    f = e['frames']
    joined = ' | '.join(f)
    step = next((name for name, hit in STEPS if hit(f[:8], joined)), 'other: thread ' + e['thread'])
    steps[step] += e['w']
    own = next((x for x in f if x.startswith('io.mqttgrid')), '-')
    sites[(e['cls'], f[0].split(' line')[0] if f else '-', own.split(' line')[0])] += e['w']
print(f'{len(events)} samples, {total / 1e6:,.0f} MB sampled weight')
for name, w in steps.most_common():
    print(f'{100 * w / total:5.1f} %  {name}')
print('\nheaviest sites: allocated class | allocating frame | innermost project frame')
for (cls, top, own), w in sites.most_common(nsites):
    print(f'{100 * w / total:5.1f} %  {cls} | {top[:90]} | {own[:110]}')
