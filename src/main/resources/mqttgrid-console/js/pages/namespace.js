// The namespace model's resources: list with search, create, edit, delete, each through the
// management API's PUT/GET/DELETE .../namespaces/{ns}/{kind}/{name}.
import { api, ApiError } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';

const lines = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);

function parseJson(text, target) {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, { error: { message: `not valid JSON: ${e.message}`, target } });
  }
}

const KINDS = {
  clients: {
    title: 'Clients',
    singular: 'client',
    columns: [['Authentication name', (p) => p.authenticationName], ['State', (p) => p.state],
      ['Attributes', (p) => JSON.stringify(p.attributes || {})]],
    fields: (p = {}) => [
      field({ label: 'Authentication name', name: 'authenticationName', target: 'properties.authenticationName', value: p.authenticationName || '', hint: 'Defaults to the name.' }),
      field({ label: 'Description', name: 'description', target: 'properties.description', value: p.description || '' }),
      field({ label: 'State', name: 'state', target: 'properties.state', kind: 'select', value: p.state || 'Enabled', options: [['Enabled', 'Enabled'], ['Disabled', 'Disabled']] }),
      field({ label: 'Attributes (JSON object)', name: 'attributes', target: 'properties.attributes', kind: 'textarea', value: p.attributes ? JSON.stringify(p.attributes) : '', hint: 'Strings, integers, booleans or arrays of strings, e.g. {"floor": 3, "types": ["a"]}.' }),
      field({ label: 'Certificate validation scheme', name: 'validationScheme', target: 'properties.clientCertificateAuthentication.validationScheme', kind: 'select',
        value: (p.clientCertificateAuthentication || {}).validationScheme || 'SubjectMatchesAuthenticationName',
        options: ['SubjectMatchesAuthenticationName', 'DnsMatchesAuthenticationName', 'UriMatchesAuthenticationName', 'IpMatchesAuthenticationName', 'EmailMatchesAuthenticationName', 'ThumbprintMatch'].map((s) => [s, s]) }),
      field({ label: 'Allowed thumbprints (one a line)', name: 'thumbprints', target: 'properties.clientCertificateAuthentication.allowedThumbprints', kind: 'textarea', value: ((p.clientCertificateAuthentication || {}).allowedThumbprints || []).join('\n') }),
      field({ label: 'Password hash (pbkdf2-sha256$...)', name: 'passwordHash', target: 'properties.passwordHash', hint: 'Write-only; leave empty to keep none. Make one with java -cp mqttgrid.jar io.mqttgrid.auth.PasswordHashes.' }),
    ],
    properties: (v) => {
      const p = {
        description: v.description || undefined,
        state: v.state,
        attributes: parseJson(v.attributes, 'properties.attributes'),
        clientCertificateAuthentication: { validationScheme: v.validationScheme },
      };
      if (v.authenticationName) p.authenticationName = v.authenticationName;
      const thumbprints = lines(v.thumbprints);
      if (thumbprints.length) p.clientCertificateAuthentication.allowedThumbprints = thumbprints;
      if (v.passwordHash) p.passwordHash = v.passwordHash;
      return p;
    },
  },
  clientGroups: {
    title: 'Client groups',
    singular: 'client group',
    columns: [['Query', (p) => p.query]],
    fields: (p = {}) => [
      field({ label: 'Description', name: 'description', target: 'properties.description', value: p.description || '' }),
      field({ label: 'Query', name: 'query', target: 'properties.query', kind: 'textarea', value: p.query || '', hint: 'e.g. attributes.floor IN [3, 4] OR attributes.role = \'admin\'' }),
    ],
    properties: (v) => ({ description: v.description || undefined, query: v.query }),
    // the query is checked, and the clients it selects listed, as the operator types
    enhance: (form) => {
      const query = form.elements.query;
      const preview = el('p', { id: 'group-preview', 'aria-live': 'polite' });
      query.closest('.field').append(preview);
      let timer = null;
      let asked = 0;
      const check = async () => {
        const mine = ++asked;
        const fieldError = query.closest('.field').querySelector('.field-error');
        try {
          const r = await api.post('/previewClientGroup', { query: query.value });
          if (mine !== asked) return;
          query.removeAttribute('aria-invalid');
          fieldError.textContent = '';
          preview.textContent = r.total === 0 ? 'Selects no registered client.'
            : `Selects ${r.total} registered client(s): ${r.matches.join(', ')}${r.total > r.matches.length ? ', …' : ''}`;
        } catch (e) {
          if (mine !== asked) return;
          preview.textContent = '';
          query.setAttribute('aria-invalid', 'true');
          fieldError.textContent = e.message;
        }
      };
      query.addEventListener('input', () => {
        clearTimeout(timer);
        timer = setTimeout(check, 300);
      });
      if (query.value) check();
    },
  },
  topicSpaces: {
    title: 'Topic spaces',
    singular: 'topic space',
    columns: [['Topic templates', (p) => (p.topicTemplates || []).join('  ')]],
    fields: (p = {}) => [
      field({ label: 'Description', name: 'description', target: 'properties.description', value: p.description || '' }),
      field({ label: 'Topic templates (one a line)', name: 'topicTemplates', target: 'properties.topicTemplates', kind: 'textarea', value: (p.topicTemplates || []).join('\n'), hint: 'e.g. devices/${client.authenticationName}/#' }),
    ],
    properties: (v) => ({ description: v.description || undefined, topicTemplates: lines(v.topicTemplates) }),
  },
  permissionBindings: {
    title: 'Permission bindings',
    singular: 'permission binding',
    columns: [['Client group', (p) => p.clientGroupName], ['Topic space', (p) => p.topicSpaceName], ['Permission', (p) => p.permission]],
    fields: (p = {}) => [
      field({ label: 'Description', name: 'description', target: 'properties.description', value: p.description || '' }),
      field({ label: 'Client group', name: 'clientGroupName', target: 'properties.clientGroupName', value: p.clientGroupName || '$all' }),
      field({ label: 'Topic space', name: 'topicSpaceName', target: 'properties.topicSpaceName', value: p.topicSpaceName || '' }),
      field({ label: 'Permission', name: 'permission', target: 'properties.permission', kind: 'select', value: p.permission || 'Publisher', options: [['Publisher', 'Publisher'], ['Subscriber', 'Subscriber']] }),
    ],
    properties: (v) => ({ description: v.description || undefined, clientGroupName: v.clientGroupName, topicSpaceName: v.topicSpaceName, permission: v.permission }),
  },
  caCertificates: {
    title: 'CA certificates',
    singular: 'CA certificate',
    columns: [['Subject', (p) => p.subject], ['Expires', (p) => p.expiryTimeInUtc], ['Thumbprint (SHA-256)', (p) => p.thumbprint]],
    fields: (p = {}) => [
      field({ label: 'Description', name: 'description', target: 'properties.description', value: p.description || '' }),
      field({ label: 'Certificate (PEM)', name: 'encodedCertificate', target: 'properties.encodedCertificate', kind: 'textarea', value: p.encodedCertificate || '', hint: 'A CA (root or intermediate) certificate, -----BEGIN CERTIFICATE-----; paste it or upload its file below.' }),
    ],
    properties: (v) => ({ description: v.description || undefined, encodedCertificate: v.encodedCertificate }),
    // a PEM file read in the browser into the text area: what is sent is what the operator sees
    enhance: (form) => {
      const pem = form.elements.encodedCertificate;
      const upload = el('input', { id: 'ca-upload', type: 'file', accept: '.pem,.crt,.cer' });
      upload.addEventListener('change', async () => {
        if (upload.files.length) pem.value = (await upload.files[0].text()).trim();
      });
      pem.closest('.field').append(el('label', { for: 'ca-upload' }, 'Upload a PEM file'), upload);
    },
  },
};

export function resourcePage(root, kind) {
  const k = KINDS[kind];
  const search = el('input', { id: 'search', type: 'search', 'aria-controls': 'resources' });
  const tbody = el('tbody');
  const status = el('p', { role: 'status', id: 'resource-status' });
  const editor = el('section', { 'aria-labelledby': 'editor-title' });
  let all = [];

  root.append(
    el('h1', {}, k.title),
    el('div', { class: 'split' },
      el('section', { 'aria-label': `${k.title} list` },
        el('div', { class: 'field' }, el('label', { for: 'search' }, `Search ${k.title.toLowerCase()}`), search),
        el('button', { type: 'button', id: 'new-resource', onclick: () => edit(null) }, `New ${k.singular}`),
        status,
        el('table', { id: 'resources' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Name'), k.columns.map(([h]) => el('th', { scope: 'col' }, h)), el('th', { scope: 'col' }, 'Actions'))),
          tbody)),
      editor));

  function render() {
    const needle = search.value.trim().toLowerCase();
    const shown = all.filter((r) => !needle || JSON.stringify(r).toLowerCase().includes(needle));
    tbody.replaceChildren(...shown.map((r) => el('tr', { 'data-name': r.name },
      el('th', { scope: 'row' }, r.name),
      k.columns.map(([, f]) => el('td', {}, f(r.properties) ?? '')),
      el('td', { class: 'actions' },
        el('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${r.name}`, onclick: () => edit(r) }, 'Edit'), ' ',
        el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${r.name}`, onclick: () => remove(r.name) }, 'Delete')))));
    status.textContent = `${shown.length} of ${all.length} ${k.title.toLowerCase()}`;
  }

  async function load() {
    try {
      all = [];
      let next = `/${kind}?$top=1000`;
      for (;;) {
        const page = await api.get(next);
        all.push(...page.value);
        if (!page.nextLink) break;
        const url = new URL(page.nextLink);
        next = url.pathname.replace(/^.*\/namespaces\/[^/]+/, '') + url.search;
      }
      render();
    } catch (e) {
      status.textContent = `Could not list ${k.title.toLowerCase()}: ${e.message}`;
    }
  }

  async function remove(name) {
    if (!window.confirm(`Delete ${k.singular} ${name}?`)) return;
    try {
      await api.del(`/${kind}/${encodeURIComponent(name)}`);
      status.textContent = `Deleted ${name}.`;
      await load();
    } catch (e) {
      status.textContent = `Could not delete ${name}: ${e.message}`;
    }
  }

  function edit(resource) {
    const creating = resource === null;
    const nameField = field({ label: 'Name', name: 'name', target: 'name', value: creating ? '' : resource.name, required: true });
    if (!creating) nameField.querySelector('input').readOnly = true;
    const notice = el('p', { class: 'notice', role: 'status' });
    const form = el('form', { id: 'resource-form', novalidate: true },
      nameField,
      k.fields(creating ? {} : resource.properties),
      el('button', { type: 'submit' }, creating ? `Create ${k.singular}` : 'Save'),
      ' ',
      el('button', { type: 'button', class: 'secondary', onclick: () => editor.replaceChildren() }, 'Cancel'),
      notice);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      notice.textContent = '';
      const v = values(form);
      if (!v.name.trim()) {
        showError(form, { target: 'name', message: 'A name is required.' });
        return;
      }
      try {
        const saved = await api.put(`/${kind}/${encodeURIComponent(v.name.trim())}`, { properties: k.properties(v) });
        notice.textContent = `Saved ${saved.name}.`;
        await load();
      } catch (e) {
        // a name the API refuses is reported without a target, naming the resource
        showError(form, e.target ? e : { target: e.status === 400 && /name/i.test(e.message) && !e.target ? 'name' : '', message: e.message });
      }
    });
    editor.replaceChildren(el('h2', { id: 'editor-title' }, creating ? `New ${k.singular}` : `Edit ${resource.name}`), form);
    if (k.enhance) k.enhance(form);
    form.querySelector(creating ? 'input' : 'input:not([readonly]), textarea, select').focus();
  }

  search.addEventListener('input', render);
  load();
  return null;
}
