// The console's shell: sign-in, then one page at a time chosen by the location's hash.
import { call, ApiError, session, saveSession } from './api.js';
import { clearErrors, showError } from './forms.js';
import { overviewPage } from './pages/overview.js';
import { resourcePage } from './pages/namespace.js';
import { explainPage } from './pages/explain.js';
import { connectionsPage } from './pages/connections.js';
import { mqttPage } from './pages/mqtt.js';
import { retainedPage } from './pages/retained.js';
import { sessionsPage } from './pages/sessions.js';
import { settingsPage } from './pages/settings.js';
import { bridgesPage } from './pages/bridges.js';
import { routingPage } from './pages/routing.js';

const pages = {
  overview: overviewPage,
  clients: (root) => resourcePage(root, 'clients'),
  clientGroups: (root) => resourcePage(root, 'clientGroups'),
  topicSpaces: (root) => resourcePage(root, 'topicSpaces'),
  permissionBindings: (root) => resourcePage(root, 'permissionBindings'),
  caCertificates: (root) => resourcePage(root, 'caCertificates'),
  settings: settingsPage,
  explain: explainPage,
  connections: connectionsPage,
  sessions: sessionsPage,
  mqtt: mqttPage,
  retained: retainedPage,
  bridges: bridgesPage,
  routing: routingPage,
};

const signIn = document.getElementById('sign-in');
const signInForm = document.getElementById('sign-in-form');
const page = document.getElementById('page');
const nav = document.getElementById('nav');
const signOut = document.getElementById('sign-out');
let leave = null;

function showSignIn() {
  if (leave) leave();
  leave = null;
  page.hidden = true;
  page.replaceChildren();
  nav.hidden = true;
  signOut.hidden = true;
  signIn.hidden = false;
  document.title = 'Sign in · MQTT Grid console';
  document.getElementById('sign-in-token').focus();
}

function route() {
  const s = session();
  if (!s) {
    showSignIn();
    return;
  }
  signIn.hidden = true;
  nav.hidden = false;
  signOut.hidden = false;
  page.hidden = false;
  const name = (location.hash.replace(/^#\/?/, '') || 'overview').split('/')[0];
  const show = pages[name] || overviewPage;
  if (leave) leave();
  page.replaceChildren();
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  leave = show(page) || null;
  const heading = page.querySelector('h1');
  document.title = `${heading ? heading.textContent : 'Console'} · MQTT Grid console`;
  document.getElementById('main').focus();
}

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(signInForm);
  const candidate = {
    namespace: signInForm.elements.namespace.value.trim(),
    token: signInForm.elements.token.value.trim(),
  };
  if (!candidate.token) {
    showError(signInForm, { target: 'token', message: 'Enter the management token.' });
    return;
  }
  try {
    // the namespace resource: answers only to an admin credential
    await call('GET', `/namespaces/${encodeURIComponent(candidate.namespace)}`, undefined, candidate);
    saveSession(candidate);
    signInForm.elements.token.value = '';
    if (!location.hash || location.hash === '#/') location.hash = '#/overview';
    route();
  } catch (e) {
    const status = e instanceof ApiError ? e.status : 0;
    if (status === 404) showError(signInForm, { target: 'namespace', message: e.message });
    else if (status === 401 || status === 403) {
      showError(signInForm, { target: 'token', message: `Sign-in refused: ${e.message}` });
    } else showError(signInForm, { target: 'token', message: `The node did not answer: ${e.message}` });
  }
});

signOut.addEventListener('click', () => {
  saveSession(null);
  showSignIn();
});

window.addEventListener('console:unauthorized', () => {
  saveSession(null);
  showSignIn();
  showError(signInForm, { target: 'token', message: 'The token is no longer accepted; sign in again.' });
});
window.addEventListener('hashchange', route);
route();
