// Routing (docs/routing.md): where the namespace's events go (route destination, dead-letter
// destination, enrichments, from the namespace settings), its event subscriptions with their meters
// (delivered, failed; dead-lettered and dropped by reason), and making, changing or deleting an
// event subscription (a PUT of the namespace settings with the list changed).
import { api, base, call } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';

const T = 'properties.topicSpacesConfiguration';
const SUBS = `${T}.settings.eventSubscriptions`;
const ROUTE = '(routeDestination)';
const lines = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);

function destinationText(d) {
  if (!d) return 'none';
  if (d.webhook) return `webhook ${d.webhook.endpointUrl}${d.webhook.maxEventsPerBatch > 1 ? ` (batches of ${d.webhook.maxEventsPerBatch})` : ''}`;
  if (d.kafka) return `Kafka ${d.kafka.bootstrapServers}, topic ${d.kafka.topic}`;
  return JSON.stringify(d);
}

function filterText(f) {
  if (!f) return 'every event';
  const parts = [];
  if (f.includedEventTypes && f.includedEventTypes.length) parts.push(`types ${f.includedEventTypes.join(', ')}`);
  if (f.subjectBeginsWith) parts.push(`subject begins with ${f.subjectBeginsWith}`);
  if (f.subjectEndsWith) parts.push(`subject ends with ${f.subjectEndsWith}`);
  if (f.advancedFilters && f.advancedFilters.length) parts.push(`${f.advancedFilters.length} advanced filter(s)`);
  return parts.length ? parts.join('; ') : 'every event';
}

const failedText = (failed) => Object.entries(failed || {}).map(([error, n]) => `${n} ${error}`).join(', ') || '0';
const reasonsText = (counts) => Object.entries(counts || {}).map(([reason, n]) => `${reason}: ${n}`).join(', ') || 'none';

function subscriptionForm() {
  return el('form', { id: 'subscription-form', novalidate: true, 'aria-labelledby': 'subscription-form-title' },
    el('h2', { id: 'subscription-form-title' }, 'Event subscription'),
    el('p', { class: 'hint' }, 'Saving a name that exists replaces that subscription.'),
    field({ label: 'Name', name: 'name', target: 'sub.name', hint: '3-50 letters, digits and hyphens.' }),
    field({ label: 'Included event types (one a line)', name: 'types', target: 'sub.filter.includedEventTypes', kind: 'textarea', hint: 'e.g. MQTT.EventPublished; empty: every type.' }),
    field({ label: 'Subject begins with', name: 'begins', target: 'sub.filter.subjectBeginsWith' }),
    field({ label: 'Subject ends with', name: 'ends', target: 'sub.filter.subjectEndsWith' }),
    field({ label: 'Subject case-sensitive', name: 'caseSensitive', target: 'sub.filter.isSubjectCaseSensitive', kind: 'select', value: 'false', options: [['false', 'No'], ['true', 'Yes']] }),
    field({ label: 'Advanced filters (JSON array)', name: 'advanced', target: 'sub.filter.advancedFilters', kind: 'textarea', hint: 'e.g. [{"operatorType": "NumberGreaterThan", "key": "data.temp", "value": 30}]' }),
    field({ label: 'Webhook URL', name: 'url', target: 'sub.destination', hint: 'http or https.' }),
    field({ label: 'Events per batch', name: 'batch', target: 'sub.destination.webhook.maxEventsPerBatch', value: '1' }),
    el('button', { type: 'submit' }, 'Save event subscription'));
}

/** The subscription the form describes, or throws {target, message}. */
function subscriptionOf(v) {
  const filter = {};
  const types = lines(v.types);
  if (types.length) filter.includedEventTypes = types;
  if (v.begins) filter.subjectBeginsWith = v.begins;
  if (v.ends) filter.subjectEndsWith = v.ends;
  if (v.caseSensitive === 'true') filter.isSubjectCaseSensitive = true;
  if (v.advanced.trim()) {
    try {
      filter.advancedFilters = JSON.parse(v.advanced);
    } catch (e) {
      throw { target: 'sub.filter.advancedFilters', message: `not valid JSON: ${e.message}` };
    }
  }
  const webhook = { endpointUrl: v.url.trim() };
  const batch = Number(v.batch);
  webhook.maxEventsPerBatch = v.batch.trim() !== '' && Number.isInteger(batch) ? batch : v.batch;
  return { name: v.name.trim(), filter, destination: { webhook } };
}

/** An error of the namespace PUT, with its target made relative to the subscription ("sub..."). */
function relative(error, name, index) {
  const t = error.target || '';
  for (const prefix of [`${SUBS}.${name}`, `${SUBS}[${index}]`]) {
    if (t === prefix || t.startsWith(`${prefix}.`)) {
      const rest = t.slice(prefix.length);
      return { target: `sub${rest}`, message: error.message };
    }
  }
  return { message: error.message };
}

export function routingPage(root) {
  const status = el('p', { role: 'status', id: 'routing-status', tabindex: '-1' });
  const destinations = el('dl', { id: 'routing-destinations', class: 'properties' });
  const subscriptions = el('tbody');
  const deadLetters = el('tbody');
  const form = subscriptionForm();
  let settings = null;
  let meters = null;
  root.append(el('h1', {}, 'Routing'), status,
    el('h2', {}, 'Where events go'), destinations,
    el('p', { class: 'hint' }, 'The route and dead-letter destinations and the enrichments are namespace settings: change them on the Settings page.'),
    el('h2', {}, 'Event subscriptions'),
    el('table', { id: 'event-subscriptions' },
      el('thead', {}, el('tr', {}, ['Name', 'Filter', 'Destination', 'Delivered', 'Failed', 'Dead-lettered', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      subscriptions),
    el('h2', {}, 'Dead letters'),
    el('table', { id: 'routing-dead-letters' },
      el('thead', {}, el('tr', {}, ['Outcome', 'Events by reason'].map((h) => el('th', { scope: 'col' }, h)))),
      deadLetters),
    form);

  function render(force = false) {
    if (!settings) return;
    const add = (name, value) => [el('dt', {}, name), el('dd', {}, value)];
    const enrich = settings.routingEnrichments || {};
    destinations.replaceChildren(
      ...add('Route destination', destinationText(settings.routeDestination)),
      ...add('Dead-letter destination', destinationText(settings.deadLetterDestination)),
      ...add('Client life-cycle events', (settings.clientLifecycleEvents || {}).enabled ? 'on' : 'off'),
      ...add('Enrichments', [...(enrich.static || []), ...(enrich.dynamic || [])].map((e) => `${e.key}=${e.value}`).join(', ') || 'none'),
      ...add('Events waiting (all destinations)', meters ? String(meters.buffered) : '…'));
    const d = (meters && meters.destinations) || {};
    const row = (name, filter, destination, counts, actions) => el('tr', { 'data-subscription': name },
      el('th', { scope: 'row' }, name), el('td', {}, filter), el('td', { class: 'mono' }, destination),
      el('td', { class: 'delivered' }, String((counts || {}).delivered || 0)),
      el('td', { class: 'failed' }, failedText((counts || {}).failed)),
      el('td', { class: 'dead-lettered' }, failedText((counts || {}).deadLettered)), el('td', { class: 'actions' }, actions));
    const rows = [];
    if (settings.routeDestination) rows.push(row(ROUTE, 'every event', destinationText(settings.routeDestination), d[ROUTE], ''));
    for (const s of settings.eventSubscriptions || []) {
      rows.push(row(s.name, filterText(s.filter), destinationText(s.destination), d[s.name], [
        el('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${s.name}`, onclick: () => edit(s) }, 'Edit'), ' ',
        el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${s.name}`, onclick: () => remove(s.name) }, 'Delete')]));
    }
    // a poll must not take away the focus of someone using the table's buttons
    if (force || !subscriptions.contains(document.activeElement)) subscriptions.replaceChildren(...rows);
    deadLetters.replaceChildren(
      el('tr', { 'data-outcome': 'dead-lettered' }, el('th', { scope: 'row' }, 'Dead-lettered'), el('td', { class: 'counts' }, meters ? reasonsText(meters.deadLettered) : '…')),
      el('tr', { 'data-outcome': 'dropped' }, el('th', { scope: 'row' }, 'Dropped'), el('td', { class: 'counts' }, meters ? reasonsText(meters.dropped) : '…')));
  }

  async function loadSettings() {
    settings = (await call('GET', base())).properties.topicSpacesConfiguration;
    render(true);
  }

  async function loadMeters() {
    try {
      meters = await api.get('/routingMeters');
      render();
    } catch (e) {
      status.textContent = `Could not read the routing meters: ${e.message}`;
    }
  }

  function edit(s) {
    clearErrors(form);
    const f = s.filter || {};
    const w = (s.destination || {}).webhook || {};
    const set = (name, value) => { form.elements[name].value = value; };
    set('name', s.name);
    set('types', (f.includedEventTypes || []).join('\n'));
    set('begins', f.subjectBeginsWith || '');
    set('ends', f.subjectEndsWith || '');
    set('caseSensitive', f.isSubjectCaseSensitive ? 'true' : 'false');
    set('advanced', f.advancedFilters ? JSON.stringify(f.advancedFilters) : '');
    set('url', w.endpointUrl || '');
    set('batch', String(w.maxEventsPerBatch || 1));
    form.elements.name.focus();
  }

  /** PUTs the namespace settings with {@code change} applied to a fresh copy of its list. */
  async function saveList(change) {
    // the webhook authentication's bearer token is not in the GET; the PUT without it keeps it
    const tsc = (await call('GET', base())).properties.topicSpacesConfiguration;
    tsc.eventSubscriptions = change(tsc.eventSubscriptions || []);
    await call('PUT', base(), { properties: { topicSpacesConfiguration: tsc } });
    await loadSettings();
  }

  async function remove(name) {
    if (!window.confirm(`Delete the event subscription ${name}? The events it holds are dropped.`)) return;
    try {
      status.focus(); // the button goes with its row
      await saveList((list) => list.filter((s) => s.name !== name));
      status.textContent = `Deleted the event subscription ${name}.`;
    } catch (e) {
      status.textContent = `Could not delete ${name}: ${e.message}`;
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    let sub;
    try {
      sub = subscriptionOf(values(form));
    } catch (e) {
      showError(form, e);
      return;
    }
    let index = -1;
    try {
      await saveList((list) => {
        const out = [...list];
        index = out.findIndex((s) => s.name.toLowerCase() === sub.name.toLowerCase());
        if (index >= 0) out[index] = sub;
        else index = out.push(sub) - 1;
        return out;
      });
      status.textContent = `Saved the event subscription ${sub.name}.`;
      loadMeters();
    } catch (e) {
      showError(form, relative(e, sub.name, index));
    }
  });

  loadSettings().catch((e) => { status.textContent = `Could not read the settings: ${e.message}`; });
  loadMeters();
  const timer = setInterval(loadMeters, 2000);
  return () => clearInterval(timer);
}
