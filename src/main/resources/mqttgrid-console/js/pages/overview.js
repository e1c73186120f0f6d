// The node's overview: the members it sees, its meters (the ones Prometheus scrapes), and message
// rates over the last 15 minutes, polled every 2 seconds.
import uPlot from '/console/webjars/uplot/1.6.30/dist/uPlot.esm.js';
import { api } from '../api.js';
import { el } from '../forms.js';

const PERIOD_MS = 2000;
const WINDOW_POINTS = (15 * 60 * 1000) / PERIOD_MS;

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
  // from the page's opening on: a rate is the difference of two polls 2 seconds apart
  const history = { t: [], in: [], out: [], dropped: [], last: null };
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
      const now = Date.now() / 1000; // the browser's clock: the chart's axis is the viewer's time
      if (history.last) {
        const dt = Math.max(0.001, now - history.last.t);
        history.t.push(now);
        history.in.push(Math.max(0, (o.totals.messagesIn - history.last.in) / dt));
        history.out.push(Math.max(0, (o.totals.messagesOut - history.last.out) / dt));
        history.dropped.push(Math.max(0, (o.totals.messagesDropped - history.last.dropped) / dt));
        for (const a of [history.t, history.in, history.out, history.dropped]) {
          if (a.length > WINDOW_POINTS) a.shift();
        }
        chart.setData([history.t, history.in, history.out, history.dropped]);
        const i = history.t.length - 1;
        rateText.textContent = `Now: ${history.in[i].toFixed(1)} in/s, ${history.out[i].toFixed(1)} out/s, ${history.dropped[i].toFixed(1)} dropped/s`;
        chartBox.setAttribute('data-points', String(history.t.length));
        chartBox.setAttribute('data-last-in', history.in[i].toFixed(3));
      }
      history.last = { t: now, in: o.totals.messagesIn, out: o.totals.messagesOut, dropped: o.totals.messagesDropped };
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
  return () => {
    stopped = true;
    clearTimeout(timer);
    chart.destroy();
  };
}
