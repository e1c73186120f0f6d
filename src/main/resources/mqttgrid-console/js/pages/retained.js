// Retained messages: browse by filter, view a payload as text, JSON or hex with its properties, delete.
import { api } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';

function bytes(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function render(m, view) {
  const b = bytes(m.payload);
  if (view === 'hex') return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
  const text = new TextDecoder().decode(b);
  if (view === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return `(not JSON: ${e.message})\n${text}`;
    }
  }
  return text;
}

export function retainedPage(root) {
  const status = el('p', { role: 'status', id: 'retained-status' });
  const tbody = el('tbody');
  const detail = el('section', { id: 'retained-detail', 'aria-label': 'Retained message' });
  const form = el('form', { id: 'retained-search', class: 'row', role: 'search', novalidate: true },
    field({ label: 'Topic filter', name: 'filter', target: 'filter', value: '#' }),
    el('button', { type: 'submit' }, 'Browse'));
  let after = null;
  const more = el('button', { type: 'button', class: 'secondary', id: 'retained-more', hidden: true, onclick: () => load(true) }, 'Next page');
  root.append(el('h1', {}, 'Retained messages'), form, status,
    el('div', { class: 'split' },
      el('div', {},
        el('table', { id: 'retained' },
          el('thead', {}, el('tr', {}, ['Topic', 'QoS', 'Bytes', 'Stored', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
          tbody),
        more),
      detail));

  function show(m) {
    const view = field({ label: 'Show payload as', name: 'view', target: 'view', kind: 'select', value: 'text', options: [['text', 'Text'], ['json', 'JSON'], ['hex', 'Hex']] });
    const pre = el('pre', { class: 'log', id: 'retained-payload', tabindex: '0', 'aria-label': 'Payload' }, render(m, 'text'));
    view.querySelector('select').addEventListener('change', (e) => { pre.textContent = render(m, e.target.value); });
    const props = [['QoS', m.qos], ['Content type', m.contentType], ['Payload format indicator', m.payloadFormatIndicator],
      ['Response topic', m.responseTopic], ['Correlation data (base64)', m.correlationData], ['Publisher', m.publisherClientId],
      ['Stored', m.createdAt], ['Expires', m.expiresAt || 'never'],
      ...m.userProperties.map((p) => [`User property ${p.name}`, p.value])].filter(([, v]) => v !== null && v !== undefined && v !== '');
    detail.replaceChildren(el('h2', {}, m.topic), view, pre,
      el('table', {}, el('tbody', {}, props.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, String(v)))))));
  }

  async function remove(topic) {
    if (!window.confirm(`Delete the retained message of ${topic}?`)) return;
    try {
      await api.del(`/retainedMessages?topic=${encodeURIComponent(topic)}`);
      status.textContent = `Deleted the retained message of ${topic}.`;
      detail.replaceChildren();
      after = null;
      await load(false, status.textContent);
    } catch (e) {
      status.textContent = `Could not delete: ${e.message}`;
    }
  }

  async function load(next = false, keep = '') {
    clearErrors(form);
    const v = values(form);
    try {
      const query = `filter=${encodeURIComponent(v.filter || '#')}${next && after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const r = await api.get(`/retainedMessages?${query}`);
      const rows = r.value.map((m) => el('tr', { 'data-topic': m.topic },
        el('th', { scope: 'row', class: 'mono' }, m.topic), el('td', {}, String(m.qos)), el('td', {}, String(m.payloadSize)),
        el('td', {}, m.createdAt),
        el('td', { class: 'actions' },
          el('button', { type: 'button', class: 'secondary', 'aria-label': `View ${m.topic}`, onclick: () => show(m) }, 'View'), ' ',
          el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${m.topic}`, onclick: () => remove(m.topic) }, 'Delete'))));
      if (next) tbody.append(...rows);
      else tbody.replaceChildren(...rows);
      after = r.continueAfter;
      more.hidden = !after;
      status.textContent = `${keep ? `${keep} ` : ''}${tbody.children.length} retained message(s) shown${after ? '; more follow' : ''}.`;
    } catch (e) {
      showError(form, e);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    after = null;
    load();
  });
  load();
  return null;
}
