#!/usr/bin/env python3
# A JVM's CPU time by thread between two snapshots, user and system apart, per message: where the CPU a
# run costs goes, the collector's, the JIT compiler's and the kernel's included, which a Java Flight
# Recording's CPU samples do not show (they sample threads running Java code). Threads are named from
# `jcmd <pid> Thread.print` (the kernel's names are cut at 15 characters) and grouped: a number at the
# end of a name is dropped, but for Vert.x event loops, each its own (which loop does the work).
# Usage: thread-cpu.py snapshot PID FILE      (the threads' user and system clock ticks so far)
#        thread-cpu.py diff PID BEFORE AFTER MESSAGES   (one line: group user+system µs/msg, largest first)
# compare-routing.sh runs it with THREADS=1.
import collections, os, re, subprocess, sys

def ticks(pid):
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/stat') as f:
                s = f.read()
        except OSError:
            continue  # ended meanwhile
        fields = s[s.rindex(')') + 2:].split()  # after the name, which may hold spaces
        out[int(tid)] = (int(fields[11]), int(fields[12]))
    return out

def read(path):
    with open(path) as f:
        return {int(t): (int(u), int(s)) for t, u, s in (line.split() for line in f)}

def names(pid):
    out = subprocess.run(['jcmd', str(pid), 'Thread.print'], capture_output=True, text=True).stdout
    found = {}
    for m in re.finditer(r'^"([^"]*)".*?\bnid=(0x[0-9a-f]+)', out, re.M):
        found[int(m.group(2), 16)] = m.group(1)
    return found

def group(name):
    if name is None:
        return '(ended or unnamed)'
    if name.startswith('vert.x-eventloop-thread-'):
        return 'eventloop-' + name.rsplit('-', 1)[1]
    return re.sub(r'[#-]?\d+$', '', name) or name

if sys.argv[1] == 'snapshot':
    with open(sys.argv[3], 'w') as f:
        for t, (u, s) in ticks(int(sys.argv[2])).items():
            f.write(f'{t} {u} {s}\n')
    sys.exit(0)
pid, before, after, messages = int(sys.argv[2]), read(sys.argv[3]), read(sys.argv[4]), int(sys.argv[5])
named = names(pid)
hz = os.sysconf('SC_CLK_TCK')
groups = collections.defaultdict(lambda: [0, 0])
for t, (u, s) in after.items():
    u0, s0 = before.get(t, (0, 0))
    g = groups[group(named.get(t))]
    g[0] += u - u0
    g[1] += s - s0
us = lambda n: n * 1e6 / hz / messages
rows = sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
total_u = sum(g[0] for g in groups.values()); total_s = sum(g[1] for g in groups.values())
jit = sum(u + s for k, (u, s) in groups.items() if 'CompilerThread' in k)
print(f'  threads (user+system µs/msg): all {us(total_u):.1f}+{us(total_s):.1f}, '
      f'without the JIT compilers {us(total_u + total_s - jit):.1f}; '
      + ', '.join(f'{k} {us(u):.1f}+{us(s):.1f}' for k, (u, s) in rows if u + s > 0 and us(u + s) >= 0.1))
