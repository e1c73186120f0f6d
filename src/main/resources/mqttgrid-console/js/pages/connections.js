// The clients connected to the cluster: search by client id or authentication name, disconnect
// (DISCONNECT 0x98 Administrative action for MQTT 5).
import { api } from '../api.js';
import { el } from '../forms.js';

export function connectionsPage(root) {
  const search = el('input', { id: 'connection-search', type: 'search' });
  const status = el('p', { role: 'status', id: 'connections-status' });
  const tbody = el('tbody');
  const form = el('form', { class: 'row', role: 'search' },
    el('div', { class: 'field' }, el('label', { for: 'connection-search' }, 'Client id or authentication name contains'), search),
    el('button', { type: 'submit', id: 'connection-search-button' }, 'Search'));
  root.append(el('h1', {}, 'Connections'),
    el('p', {}, 'The clients connected to the cluster (every node that answers within 3 seconds).'),
    form, status,
    el('table', { id: 'connections' },
      el('thead', {}, el('tr', {}, ['Client id', 'Authentication name', 'MQTT', 'Address', 'Subscriptions', 'Persistent session', 'Node', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody));

  async function load() {
    try {
      const r = await api.get(`/connections?search=${encodeURIComponent(search.value.trim())}`);
      tbody.replaceChildren(...r.value.map((c) => el('tr', { 'data-client-id': c.clientId },
        el('th', { scope: 'row' }, c.clientId), el('td', {}, c.authenticationName || ''), el('td', {}, c.protocolVersion),
        el('td', {}, c.remoteAddress), el('td', {}, String(c.subscriptions)), el('td', {}, c.persistentSession ? 'yes' : 'no'),
        el('td', {}, c.node),
        el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': `Disconnect ${c.clientId}`, onclick: () => disconnect(c.clientId) }, 'Disconnect')))));
      status.textContent = `${r.value.length} connection(s)`;
    } catch (e) {
      status.textContent = `Could not list connections: ${e.message}`;
    }
  }

  async function disconnect(clientId) {
    try {
      await api.post(`/connections/${encodeURIComponent(clientId)}/disconnect`, {});
      status.textContent = `Disconnected ${clientId}.`;
      setTimeout(load, 500);
    } catch (e) {
      status.textContent = `Could not disconnect ${clientId}: ${e.message}`;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  load();
  return null;
}
