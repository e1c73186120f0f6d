#!/usr/bin/env python3
# The share of a Java Flight Recording's CPU samples (jdk.ExecutionSample, all threads) whose stack holds a frame
# (class.method) containing each pattern: CPU shares, which a loaded machine changes less than rates.
# Usage: load-tests/scripts/jfr-shares.py recording.jfr pattern...   (needs the JDK's jfr tool on the PATH)
# e.g. JFR=/tmp/on.jfr load-tests/scripts/compare-routing.sh, then
#      load-tests/scripts/jfr-shares.py /tmp/on.jfr io.cloudevents.jackson.JsonFormat.serialize java.util.UUID.randomUUID
import json, subprocess, sys
f = sys.argv[1]; pats = sys.argv[2:]
out = subprocess.run(['jfr', 'print', '--json', '--stack-depth', '64', '--events', 'jdk.ExecutionSample', f], capture_output=True, text=True).stdout
ev = json.loads(out)['recording']['events']
n = len(ev); hits = {p: 0 for p in pats}
for e in ev:
    frames = [(fr['method']['type']['name'] + '.' + fr['method']['name']).replace('/', '.') for fr in e['values']['stackTrace']['frames']]
    for p in pats:
        if any(p in x for x in frames): hits[p] += 1
print(f'{n} samples')
for p in pats: print(f'{100.0*hits[p]/max(n,1):5.1f} %  {p}')
