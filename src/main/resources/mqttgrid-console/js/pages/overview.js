// The node's overview: the members it sees, its meters (the ones Prometheus scrapes), polled every
// 2 seconds, and the cluster's message rates over the last 15 minutes, streamed by the node.
import uPlot from '/console/webjars/uplot/1.6.30/dist/uPlot.esm.js';
import { api, base, session } from '../api.js';
import { el } from '../forms.js';

const PERIOD_MS = 2000;
const WINDOW_POINTS = (15 * 60 * 1000) / PERIOD_MS;

/**
 * Reads GET .../overview/rates, a text/event-stream, calling onEvent(name, data) for each event
 * until the stream ends (resolves) or fails (throws). Not EventSource: it cannot send the
 * Authorization header, and the API takes the token nowhere else (a token in the URL would land in
 * access logs and the browser's history). So fetch() with the header, and this reader of the
 * stream's frames ("event:" and "data:" lines, a blank line between events; the node sends nothing
 * else), which no library the console has does.
 */
async function readRateStream(signal, onEvent) {
  const s = session();
  const response = await fetch(`${base(s)}/overview/rates`, {
    headers: { Authorization: `Bearer ${s.token}`, Accept: 'text/event-stream' }, cache: 'no-store', signal,
  });
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent('console:unauthorized'));
    throw new Error(`HTTP ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

const MEMBER_COLUMNS = [
  ['node', 'Node id'], ['address', 'Address'], ['state', 'State'],
  ['connections', 'Connections'], ['sessions', 'Sessions'], ['sessionsOnline', 'Online'],
  ['subscriptionsOfConnectedClients', 'Subscriptions'], ['retainedMessages', 'Retained'],
  ['messagesIn', 'In'], ['messagesOut', 'Out'], ['messagesDropped', 'Dropped'],
  ['uptime', 'Up for'], ['splitBrain', 'Split-brain protection'],
];

function uptimeText(seconds) {
  if (seconds === undefined || seconds === null) return '';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${seconds % 60} s`;
}

function splitBrainText(s) {
  if (!s) return '';
  if (!s.protection) return 'off';
  return s.hasMinimumMembers ? `quorum (${s.minimumMembers} needed)` : `NO QUORUM: fewer than ${s.minimumMembers} members seen, writes refused`;
}

const NOT_METERS = { uptime: (m) => uptimeText(m.uptimeSeconds), splitBrain: (m) => splitBrainText(m.splitBrain) };

function memberRow(m) {
  const state = m.local ? 'this console' : m.reachable ? 'reachable' : `not answering${m.problem ? `: ${m.problem}` : ''}`;
  return el('tr', { 'data-node': m.node || '' }, MEMBER_COLUMNS.map(([k], i) => {
    const text = k === 'node' ? m.node || '?' : k === 'address' ? m.address : k === 'state' ? state
      : NOT_METERS[k] ? NOT_METERS[k](m) : m.meters ? String(m.meters[k]) : '';
    return i === 0 ? el('th', { scope: 'row' }, text) : el('td', { 'data-column': k }, text);
  }));
}

const CARDS = [
  ['connections', 'Connections'],
  ['sessions', 'Sessions'],
  ['sessionsOnline', 'Sessions online'],
  ['subscriptionsOfConnectedClients', 'Subscriptions (connected clients)'],
  ['retainedMessages', 'Retained messages'],
  ['messagesIn', 'Messages in (total)'],
  ['messagesOut', 'Messages out (total)'],
  ['messagesDropped', 'Messages dropped (total)'],
];

export function overviewPage(root) {
  // the cluster's rates per 2-second bucket, as the node streams them: its history, then each new point
  const history = { t: [], in: [], out: [], dropped: [] };
  const status = el('p', { id: 'overview-status', role: 'status' });
  const cards = el('div', { class: 'cards', id: 'overview-cards' });
  const members = el('tbody');
  const totalsRow = el('tfoot');
  const chartBox = el('div', { id: 'rate-chart', role: 'img', 'aria-label': 'Messages per second in, out and dropped over the cluster, last 15 minutes' });
  const rateText = el('p', { id: 'rate-text', 'aria-live': 'polite' });
  root.append(
    el('h1', {}, 'Cluster overview'),
    status,
    el('h2', {}, 'This node'),
    cards,
    el('h2', {}, 'Message rates (cluster)'),
    chartBox,
    rateText,
    el('h2', {}, 'Members'),
    el('table', { id: 'members' },
      el('thead', {}, el('tr', {}, MEMBER_COLUMNS.map(([, h]) => el('th', { scope: 'col' }, h)))),
      members,
      totalsRow));
  const chart = new uPlot({
    width: Math.min(1100, root.clientWidth || 900), height: 220,
    // up to the last 15 minutes; at least one, so that the first points are not a sliver at the edge
    scales: {
      x: {
        time: true,
        range: () => {
          const n = history.t.length;
          const last = n ? history.t[n - 1] : Date.now() / 1000;
          return [Math.min(last - 60, n ? history.t[0] : last), last];
        },
      },
      y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] },
    },
    series: [{}, { label: 'in /s', stroke: '#0b5cad', width: 2 }, { label: 'out /s', stroke: '#0f6b2f', width: 2 },
      { label: 'dropped /s', stroke: '#a4161a', width: 2 }],
  }, [history.t, history.in, history.out, history.dropped], chartBox);

  let stopped = false;
  async function poll() {
    try {
      const o = await api.get('/overview');
      if (stopped) return;
      status.textContent = `Node ${o.node} · ${o.ready ? 'ready' : 'NOT ready'} · ${o.members.length} member(s)`;
      cards.replaceChildren(...CARDS.map(([k, label]) => el('div', { class: 'card', 'data-meter': k },
        el('span', { class: 'value' }, String(o.meters[k])), el('span', { class: 'label' }, label))));
      members.replaceChildren(...o.members.map(memberRow));
      totalsRow.replaceChildren(el('tr', { id: 'totals' }, MEMBER_COLUMNS.map(([k], i) => (i === 0
        ? el('th', { scope: 'row' }, 'Cluster (nodes answering)')
        : el('td', {}, i < 3 || NOT_METERS[k] ? '' : String(o.totals[k]))))));
    } catch (e) {
      if (!stopped) status.textContent = `The overview could not be read: ${e.message}`;
    }
  }
  // the next poll is due only once the previous one answered: a slow node never gets them piled up
  let timer = null;
  async function loop() {
    await poll();
    if (!stopped) timer = setTimeout(loop, PERIOD_MS);
  }
  loop();

  let pushed = 0;
  function draw(event, data) {
    if (event === 'history') {
      for (const a of Object.values(history)) a.length = 0;
    }
    const lastT = history.t.length ? history.t[history.t.length - 1] : -Infinity;
    for (const p of data.points) {
      if (p.t / 1000 <= lastT) continue;
      history.t.push(p.t / 1000);
      history.in.push(p.in);
      history.out.push(p.out);
      history.dropped.push(p.dropped);
    }
    for (const a of Object.values(history)) {
      if (a.length > WINDOW_POINTS) a.splice(0, a.length - WINDOW_POINTS);
    }
    chart.setData([history.t, history.in, history.out, history.dropped]);
    const silent = data.members.filter((m) => !m.reachable).map((m) => m.node || '?');
    const i = history.t.length - 1;
    rateText.textContent = (i < 0 ? 'No rates yet.'
      : `Now: ${history.in[i].toFixed(1)} in/s, ${history.out[i].toFixed(1)} out/s, ${history.dropped[i].toFixed(1)} dropped/s`)
      + (silent.length ? ` (without ${silent.join(', ')}: not answering)` : '');
    chartBox.setAttribute('data-points', String(history.t.length));
    if (i >= 0) chartBox.setAttribute('data-last-in', history.in[i].toFixed(3));
    if (event === 'history') {
      // what a test reads: the history drawn at once, before any pushed point
      chartBox.setAttribute('data-history-points', String(history.t.length));
      chartBox.setAttribute('data-history-first', i < 0 ? '' : String(history.t[0]));
      chartBox.setAttribute('data-history-peak-in', String(Math.max(0, ...history.in)));
    } else {
      chartBox.setAttribute('data-pushed', String(++pushed));
    }
  }
  // the stream ends when the node goes or drops a client that stopped reading: open it again, and its
  // history fills what was missed
  const abort = new AbortController();
  async function stream() {
    while (!stopped) {
      try {
        await readRateStream(abort.signal, draw);
      } catch (e) {
        if (stopped) return;
        rateText.textContent = `The rates could not be read: ${e.message}`;
      }
      if (!stopped) await new Promise((resolve) => { setTimeout(resolve, PERIOD_MS); });
    }
  }
  stream();
  return () => {
    stopped = true;
    clearTimeout(timer);
    abort.abort();
    chart.destroy();
  };
}
