// The namespace's settings (GET/PUT .../namespaces/{ns}, properties.topicSpacesConfiguration): the
// everyday ones as fields, the rest (JWT issuers, webhook authentication, routing) as JSON.
import { api, base, call } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';

const T = 'properties.topicSpacesConfiguration';
// the API names a setting's field as the namespace file does, under settings.
const F = `${T}.settings`;
const SIMPLE = ['hostname', 'maximumSessionExpiryInHours', 'maximumClientSessionsPerAuthenticationName'];

export function settingsPage(root) {
  const status = el('p', { role: 'status', id: 'settings-status' });
  const holder = el('div');
  root.append(el('h1', {}, 'Namespace settings'),
    el('p', {}, 'Saving replaces every setting with what this form holds.'), status, holder);

  async function load() {
    let tsc;
    try {
      tsc = (await call('GET', base())).properties.topicSpacesConfiguration;
    } catch (e) {
      status.textContent = `Could not read the settings: ${e.message}`;
      return;
    }
    const auth = tsc.clientAuthentication || {};
    const rest = { ...tsc };
    for (const k of [...SIMPLE, 'state']) delete rest[k];
    const restAuth = { ...auth };
    delete restAuth.alternativeAuthenticationNameSources;
    delete restAuth.passwordAuthentication;
    rest.clientAuthentication = restAuth;
    const hasWebhook = !!restAuth.webhookAuthentication;
    const form = el('form', { id: 'settings-form', novalidate: true },
      field({ label: 'Hostname (audience of CUSTOM-JWT tokens)', name: 'hostname', target: `${F}.hostname`, value: tsc.hostname || '' }),
      field({ label: 'Maximum session expiry (hours, 1-8)', name: 'maximumSessionExpiryInHours', target: `${F}.maximumSessionExpiryInHours`, type: 'number', value: String(tsc.maximumSessionExpiryInHours) }),
      field({ label: 'Maximum sessions per authentication name (1-100)', name: 'maximumClientSessionsPerAuthenticationName', target: `${F}.maximumClientSessionsPerAuthenticationName`, type: 'number', value: String(tsc.maximumClientSessionsPerAuthenticationName) }),
      field({ label: 'Alternative authentication name sources (one a line)', name: 'sources', target: `${F}.clientAuthentication.alternativeAuthenticationNameSources`, kind: 'textarea', value: (auth.alternativeAuthenticationNameSources || []).join('\n'), hint: 'ClientCertificateSubject, ClientCertificateDns, ClientCertificateUri, ClientCertificateIp, ClientCertificateEmail, ClientId' }),
      field({ label: 'Password authentication', name: 'password', target: `${F}.clientAuthentication.passwordAuthentication`, kind: 'select', value: (auth.passwordAuthentication || {}).enabled ? 'true' : 'false', options: [['false', 'Off'], ['true', 'On']] }),
      hasWebhook ? field({ label: 'Webhook authentication bearer token (write-only: leave empty to keep the stored one)', name: 'webhookToken', target: `${F}.clientAuthentication.webhookAuthentication.bearerToken`, type: 'password' }) : null,
      field({ label: 'Other settings (JSON)', name: 'rest', target: T, kind: 'textarea', value: JSON.stringify(rest, null, 2), hint: 'JWT authentication, webhook authentication, routing: as the API takes them.' }),
      el('button', { type: 'submit' }, 'Save'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const v = values(form);
      let settings;
      try {
        settings = JSON.parse(v.rest || '{}');
      } catch (e) {
        showError(form, { target: T, message: `not valid JSON: ${e.message}` });
        return;
      }
      settings.hostname = v.hostname || undefined;
      settings.maximumSessionExpiryInHours = Number(v.maximumSessionExpiryInHours);
      settings.maximumClientSessionsPerAuthenticationName = Number(v.maximumClientSessionsPerAuthenticationName);
      settings.clientAuthentication = {
        ...(settings.clientAuthentication || {}),
        alternativeAuthenticationNameSources: v.sources.split('\n').map((s) => s.trim()).filter(Boolean),
        passwordAuthentication: { enabled: v.password === 'true' },
      };
      const webhook = settings.clientAuthentication.webhookAuthentication;
      if (webhook && v.webhookToken) webhook.bearerToken = v.webhookToken;
      try {
        await call('PUT', base(), { properties: { topicSpacesConfiguration: settings } });
        status.textContent = 'Settings saved.';
      } catch (e) {
        showError(form, e.target ? e : { message: e.message });
      }
    });
    holder.replaceChildren(form);
  }
  load();
  return null;
}
