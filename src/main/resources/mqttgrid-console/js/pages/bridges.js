// The MQTT bridges: each dataflow's instances with their state, last error and counters (polled from
// GET .../bridges: GET /bridges of the management port with each instance as its node reports it), the dataflow endpoints and dataflows (the bridge resources of the
// management API, docs/bridge.md), and making or deleting those of the API.
import { api, call, session } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';

const STATES = { connected: 'connected', 'backing-off': 'backing off', connecting: 'connecting', stopped: 'stopped' };

function instancePath() {
  return `/instances/${encodeURIComponent(session().namespace)}`;
}
const endpointsPath = () => `${instancePath()}/dataflowEndpoints`;
const dataflowsPath = () => `${instancePath()}/dataflowProfiles/default/dataflows`;
const lines = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);

function endpointForm() {
  return el('form', { id: 'endpoint-form', novalidate: true, 'aria-labelledby': 'endpoint-form-title' },
    el('h2', { id: 'endpoint-form-title' }, 'New dataflow endpoint'),
    field({ label: 'Name', name: 'name', target: 'name' }),
    field({ label: 'Host (host:port)', name: 'host', target: 'properties.mqttSettings.host' }),
    field({ label: 'Protocol', name: 'protocol', target: 'properties.mqttSettings.protocol', kind: 'select', value: 'Mqtt', options: [['Mqtt', 'MQTT over TCP'], ['WebSockets', 'MQTT over WebSockets']] }),
    field({ label: 'Remote MQTT version', name: 'mqttVersion', target: 'properties.mqttSettings.mqttVersion', kind: 'select', value: '5', options: [['5', '5'], ['3.1.1', '3.1.1']] }),
    field({ label: 'TLS', name: 'tls', target: 'properties.mqttSettings.tls', kind: 'select', value: 'Disabled', options: [['Disabled', 'Disabled'], ['Enabled', 'Enabled']] }),
    field({ label: 'Trusted CA certificate file', name: 'caFile', target: 'properties.mqttSettings.tls.trustedCaCertificateFile', hint: 'A PEM file on the node; empty: the JVM\'s trust store.' }),
    field({ label: 'Authentication', name: 'method', target: 'properties.mqttSettings.authentication', kind: 'select', value: 'Anonymous', options: [['Anonymous', 'Anonymous'], ['UsernamePassword', 'Username and password file']] }),
    field({ label: 'Username', name: 'username', target: 'properties.mqttSettings.authentication.usernamePasswordSettings.username' }),
    field({ label: 'Password file', name: 'passwordFile', target: 'properties.mqttSettings.authentication.usernamePasswordSettings.passwordFile', hint: 'A file on the node holding the password.' }),
    el('button', { type: 'submit' }, 'Create endpoint'));
}

function endpointProperties(v) {
  const mqttSettings = { host: v.host.trim(), protocol: v.protocol, mqttVersion: v.mqttVersion };
  if (v.tls === 'Enabled' || v.caFile.trim()) {
    mqttSettings.tls = { mode: v.tls };
    if (v.caFile.trim()) mqttSettings.tls.trustedCaCertificateFile = v.caFile.trim();
  }
  mqttSettings.authentication = { method: v.method };
  if (v.method === 'UsernamePassword') {
    mqttSettings.authentication.usernamePasswordSettings = { username: v.username, passwordFile: v.passwordFile.trim() };
  }
  return { endpointType: 'Mqtt', mqttSettings };
}

function dataflowForm() {
  return el('form', { id: 'dataflow-form', novalidate: true, 'aria-labelledby': 'dataflow-form-title' },
    el('h2', { id: 'dataflow-form-title' }, 'New dataflow'),
    field({ label: 'Name', name: 'name', target: 'name' }),
    field({ label: 'Source endpoint', name: 'from', target: 'properties.operations[0].sourceSettings.endpointRef', value: 'default', hint: 'default: this broker; or a dataflow endpoint\'s name.' }),
    field({ label: 'Source topic filters (one a line)', name: 'sources', target: 'properties.operations[0].sourceSettings.dataSources', kind: 'textarea' }),
    field({ label: 'Destination endpoint', name: 'to', target: 'properties.operations[1].destinationSettings.endpointRef' }),
    field({ label: 'Destination topic', name: 'target', target: 'properties.operations[1].destinationSettings.dataDestination', value: '${inputTopic}', hint: 'A topic, or a template with ${inputTopic} and ${inputTopic.N}.' }),
    field({ label: 'Instances', name: 'instanceCount', target: 'properties.instanceCount', value: '1' }),
    el('button', { type: 'submit' }, 'Create dataflow'));
}

function dataflowProperties(v) {
  const n = Number(v.instanceCount);
  return {
    instanceCount: Number.isInteger(n) && v.instanceCount.trim() !== '' ? n : v.instanceCount,
    operations: [
      { operationType: 'Source', sourceSettings: { endpointRef: v.from.trim() || 'default', dataSources: lines(v.sources) } },
      { operationType: 'Destination', destinationSettings: { endpointRef: v.to.trim(), dataDestination: v.target.trim() } },
    ],
  };
}

function stateCell(i) {
  const word = STATES[i.state] || i.state;
  const cell = el('td', { class: 'state' }, el('span', { class: `state-${i.state}` }, word));
  if (i.lastError && !i.connected) cell.append(el('div', { class: 'reason' }, `${i.lastError}${i.lastErrorAt ? ` (${i.lastErrorAt})` : ''}`));
  return cell;
}

export function bridgesPage(root) {
  const status = el('p', { role: 'status', id: 'bridges-status', tabindex: '-1' });
  const where = el('p', { id: 'bridges-node' });
  const fileError = el('p', { class: 'form-error', role: 'alert', id: 'bridges-file-error' });
  const instances = el('tbody');
  const endpoints = el('tbody');
  const eForm = endpointForm();
  const dForm = dataflowForm();
  let origins = {};
  root.append(el('h1', {}, 'Bridges'), status, where, fileError,
    el('h2', {}, 'Dataflows'),
    el('table', { id: 'dataflows' },
      el('thead', {}, el('tr', {}, ['Dataflow', 'Instance', 'Direction', 'Endpoint', 'Node', 'State', 'Forwarded', 'Dropped', 'Queued', 'Remote client id', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      instances),
    el('h2', {}, 'Dataflow endpoints'),
    el('table', { id: 'endpoints' },
      el('thead', {}, el('tr', {}, ['Name', 'Host', 'Protocol', 'MQTT version', 'Authentication', 'Origin', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      endpoints),
    el('div', { class: 'split' }, eForm, dForm));

  function deleteButton(kind, name, path) {
    return el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${kind} ${name}`,
      onclick: async () => {
        if (!window.confirm(`Delete the ${kind} ${name}?`)) return;
        try {
          await call('DELETE', `${path}/${encodeURIComponent(name)}`);
          status.textContent = `Deleted the ${kind} ${name}.`;
          status.focus(); // the button goes with its row
          load(true);
        } catch (e) {
          status.textContent = `Could not delete the ${kind} ${name}: ${e.message}`;
        }
      } }, 'Delete');
  }

  async function load(force = false) {
    try {
      const [bridges, eps, flows, overview] = await Promise.all([
        api.get('/bridges'), call('GET', endpointsPath()), call('GET', dataflowsPath()),
        call('GET', `/namespaces/${encodeURIComponent(session().namespace)}/overview`)]);
      origins = Object.fromEntries(flows.value.map((f) => [f.name, f.origin]));
      const oldest = (overview.members[0] || {}).node;
      // every node that answered within 3 s; an instance's state and counters are its node's
      const nodeOf = (i) => (i.node !== undefined && i.node !== null ? i.node : (bridges.runsHere ? overview.node : oldest));
      const answered = (bridges.nodes || []).map((n) => n.node);
      where.textContent = `Each instance's state and counters are those of the node that runs it (nodes that answered: ${answered.join(', ') || overview.node}; this page is served by ${overview.node}).`;
      fileError.textContent = bridges.fileError ? `bridge.file ${bridges.file}: ${bridges.fileError}` : '';
      const rows = [];
      const running = new Set();
      for (const d of bridges.dataflows) {
        running.add(d.name);
        for (const i of d.instances) {
          rows.push(el('tr', { 'data-dataflow': d.name, 'data-instance': String(i.instance) },
            el('th', { scope: 'row' }, d.name), el('td', {}, String(i.instance)), el('td', {}, d.direction),
            el('td', {}, d.endpoint), el('td', { class: 'node' }, nodeOf(i) || ''), stateCell(i),
            el('td', { class: 'forwarded' }, String(i.forwarded)), el('td', { class: 'dropped' }, String(i.dropped)),
            el('td', { class: 'queued' }, i.queued === undefined ? '' : String(i.queued)),
            el('td', { class: 'mono' }, i.remoteClientId || ''),
            el('td', { class: 'actions' }, i.instance === 1 && origins[d.name] === 'api' ? deleteButton('dataflow', d.name, dataflowsPath()) : '')));
        }
      }
      // a dataflow of the API not yet applied by the node that runs the bridges
      for (const f of flows.value) {
        if (!running.has(f.name)) {
          rows.push(el('tr', { 'data-dataflow': f.name },
            el('th', { scope: 'row' }, f.name), el('td', {}, ''), el('td', {}, ''), el('td', {}, ''), el('td', {}, ''),
            el('td', { class: 'state' }, 'not running here'), el('td', {}), el('td', {}), el('td', {}), el('td', {}),
            el('td', { class: 'actions' }, f.origin === 'api' ? deleteButton('dataflow', f.name, dataflowsPath()) : '')));
        }
      }
      // a poll must not take away the focus of someone using the table's buttons
      if (force || !instances.contains(document.activeElement)) instances.replaceChildren(...rows);
      if (force || !endpoints.contains(document.activeElement)) endpoints.replaceChildren(...eps.value.map((e) => {
        const m = e.properties.mqttSettings || {};
        return el('tr', { 'data-endpoint': e.name },
          el('th', { scope: 'row' }, e.name), el('td', { class: 'mono' }, m.host || ''), el('td', {}, m.protocol || 'Mqtt'),
          el('td', {}, String(m.mqttVersion || '5')), el('td', {}, (m.authentication || {}).method || 'Anonymous'),
          el('td', {}, e.origin),
          el('td', { class: 'actions' }, e.origin === 'api' ? deleteButton('dataflow endpoint', e.name, endpointsPath()) : ''));
      }));
      status.textContent = `${bridges.dataflows.length} dataflow(s), ${eps.value.length} endpoint(s).`;
    } catch (e) {
      status.textContent = `Could not read the bridges: ${e.message}`;
    }
  }

  async function create(form, path, kind, properties) {
    clearErrors(form);
    const v = values(form);
    const name = v.name.trim();
    if (!name) {
      showError(form, { target: 'name', message: 'Enter a name.' });
      return;
    }
    try {
      await call('PUT', `${path}/${encodeURIComponent(name)}`, { properties: properties(v) });
      status.textContent = `Created the ${kind} ${name}.`;
      load(true);
    } catch (e) {
      showError(form, { target: e.target || (e.status === 409 ? 'name' : ''), message: e.message });
    }
  }

  eForm.addEventListener('submit', (event) => {
    event.preventDefault();
    create(eForm, endpointsPath(), 'dataflow endpoint', endpointProperties);
  });
  dForm.addEventListener('submit', (event) => {
    event.preventDefault();
    create(dForm, dataflowsPath(), 'dataflow', dataflowProperties);
  });
  load();
  const timer = setInterval(load, 2000);
  return () => clearInterval(timer);
}
