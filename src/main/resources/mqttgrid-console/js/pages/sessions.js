// The persistent sessions of the cluster, online and offline: search by client id, see where each is
// hosted, what it subscribed to, what waits for it, its will; delete an offline one.
import { api } from '../api.js';
import { el } from '../forms.js';

function willText(w) {
  if (!w) return '';
  return `${w.topic} (QoS ${w.qos}${w.retain ? ', retained' : ''}, ${w.payloadSize} B, delay ${w.delaySeconds} s)`;
}

export function sessionsPage(root) {
  const search = el('input', { id: 'session-search', type: 'search' });
  const status = el('p', { role: 'status', id: 'sessions-status' });
  const tbody = el('tbody');
  const form = el('form', { class: 'row', role: 'search', id: 'sessions-search' },
    el('div', { class: 'field' }, el('label', { for: 'session-search' }, 'Client id contains'), search),
    el('button', { type: 'submit' }, 'Search'));
  root.append(el('h1', {}, 'Sessions'),
    el('p', {}, 'The persistent sessions of the cluster, connected or not, as the session store holds them (first 100 by client id).'),
    form, status,
    el('table', { id: 'sessions' },
      el('thead', {}, el('tr', {}, ['Client id', 'State', 'Node', 'Subscriptions', 'Queued', 'In flight', 'Will', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody));

  async function load() {
    try {
      const r = await api.get(`/sessions?search=${encodeURIComponent(search.value.trim())}`);
      tbody.replaceChildren(...r.value.map((s) => el('tr', { 'data-client-id': s.clientId },
        el('th', { scope: 'row' }, s.clientId), el('td', { class: 'state' }, s.state), el('td', {}, s.node || ''),
        el('td', {}, s.subscriptions.map((x) => `${x.filter} (QoS ${x.qos})`).join(', ')),
        el('td', { class: 'queued' }, String(s.queued)), el('td', { class: 'in-flight' }, String(s.inFlight)),
        el('td', {}, willText(s.will)),
        el('td', {}, s.state === 'offline'
          ? el('button', { type: 'button', class: 'danger', 'aria-label': `Delete session ${s.clientId}`, onclick: () => remove(s.clientId) }, 'Delete')
          : ''))));
      status.textContent = `${r.value.length} session(s) shown of ${r.total}`;
    } catch (e) {
      status.textContent = `Could not list sessions: ${e.message}`;
    }
  }

  async function remove(clientId) {
    if (!window.confirm(`Delete the session of ${clientId}? Its queued messages and will are discarded.`)) return;
    try {
      await api.del(`/sessions/${encodeURIComponent(clientId)}`);
      status.textContent = `Deleted the session of ${clientId}.`;
      load();
    } catch (e) {
      status.textContent = `Could not delete the session of ${clientId}: ${e.message}`;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  load();
  return null;
}
