#!/usr/bin/env python3
# The share of a Java Flight Recording's CPU samples (jdk.ExecutionSample, all threads) whose stack holds a frame
# (class.method) containing each pattern: CPU shares, which a loaded machine changes less than rates.
# Usage: load-tests/scripts/jfr-shares.py recording.jfr pattern...   (needs the JDK's jfr tool on the PATH)
# e.g. JFR=/tmp/on.jfr load-tests/scripts/compare-routing.sh, then
#      load-tests/scripts/jfr-shares.py /tmp/on.jfr io.cloudevents.jackson.JsonFormat.serialize java.util.UUID.randomUUID
# --innermost PREFIX: instead, each sample is counted once, under the innermost frame of the project's code
# (io.mqttgrid.) when that frame starts with PREFIX: who did the work, as nested calls do not count twice (a
# request's answer that sends the next request is counted where the sending is), with the library frame it was
# in most often. --after-start: samples taken while the node started (Main.main, Broker.start) are left out.
# e.g. load-tests/scripts/jfr-shares.py --after-start --innermost io.mqttgrid.events. /tmp/on.jfr
import collections, json, subprocess, sys
args = sys.argv[1:]
after_start = '--after-start' in args
if after_start: args.remove('--after-start')
innermost = None
if args and args[0] == '--innermost': innermost = args[1]; args = args[2:]
f = args[0]; pats = args[1:]
out = subprocess.run(['jfr', 'print', '--json', '--stack-depth', '128', '--events', 'jdk.ExecutionSample', f], capture_output=True, text=True).stdout
ev = json.loads(out)['recording']['events']
n = 0; hits = {p: 0 for p in pats}; by = collections.Counter(); leaf = collections.defaultdict(collections.Counter)
for e in ev:
    frames = [(fr['method']['type']['name'] + '.' + fr['method']['name']).replace('/', '.') for fr in e['values']['stackTrace']['frames']]
    if after_start and any(x.startswith('io.mqttgrid.Main.main') or x.startswith('io.mqttgrid.Broker.start') for x in frames): continue
    n += 1
    for p in pats:
        if any(p in x for x in frames): hits[p] += 1
    if innermost is not None:
        own = next((x for x in frames if x.startswith('io.mqttgrid.')), None)
        if own is not None and own.startswith(innermost):
            by[own] += 1; leaf[own][frames[0]] += 1
print(f'{n} samples')
for p in pats: print(f'{100.0*hits[p]/max(n,1):5.1f} %  {p}')
if innermost is not None:
    for k, c in by.most_common():
        print(f'{100.0*c/max(n,1):5.1f} %  {k}  (most often in {leaf[k].most_common(1)[0][0]})')
    print(f'{100.0*sum(by.values())/max(n,1):5.1f} %  all under {innermost}')
