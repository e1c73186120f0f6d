// The access explainer: asks POST .../explainAccess why a client may or may not publish or
// subscribe, and shows the groups, bindings, topic spaces and templates the decision came from.
import { api, ApiError } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';

export function explainPage(root) {
  const result = el('section', { id: 'explanation', 'aria-live': 'polite', 'aria-label': 'Explanation' });
  const form = el('form', { id: 'explain-form', novalidate: true },
    field({ label: 'Registered client (name)', name: 'clientName', target: 'clientName', hint: 'Or leave empty and describe a client below.' }),
    field({ label: 'Authentication name (when no registered client is named)', name: 'authenticationName', target: 'client.authenticationName' }),
    field({ label: 'Attributes (JSON, when no registered client is named)', name: 'attributes', target: 'client.attributes', kind: 'textarea' }),
    field({ label: 'Topic (publish) or filter (subscribe)', name: 'topic', target: 'topic' }),
    field({ label: 'Action', name: 'action', target: 'action', kind: 'select', value: 'publish', options: [['publish', 'Publish'], ['subscribe', 'Subscribe']] }),
    el('button', { type: 'submit' }, 'Explain'));
  root.append(el('h1', {}, 'Access explainer'), el('div', { class: 'split' }, form, result));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const v = values(form);
    const body = { topic: v.topic, action: v.action };
    try {
      if (v.clientName.trim()) body.clientName = v.clientName.trim();
      else {
        let attributes;
        try {
          attributes = v.attributes.trim() ? JSON.parse(v.attributes) : {};
        } catch (e) {
          throw new ApiError(400, { error: { message: `not valid JSON: ${e.message}`, target: 'client.attributes' } });
        }
        body.client = { authenticationName: v.authenticationName.trim() || undefined, attributes };
      }
      show(await api.post('/explainAccess', body));
    } catch (e) {
      result.replaceChildren();
      showError(form, e);
    }
  });

  function show(x) {
    const verdict = x.allowed ? 'allowed' : 'denied';
    result.replaceChildren(...[
      el('h2', {}, 'Decision'),
      el('p', { class: `verdict ${verdict}`, id: 'verdict' }, `${x.action} ${x.topic}: ${verdict.toUpperCase()}`),
      el('p', { id: 'matched' }, x.matched
        ? `Granted by topic space ${x.matched.topicSpaceName}: template ${x.matched.template} became ${x.matched.filter}.`
        : x.identity.authority === 'ANONYMOUS' ? 'An anonymous client is not subject to the namespace model.'
          : 'No template of a topic space bound to the client grants this (default deny).'),
      el('h2', {}, 'Identity'),
      el('p', {}, `${x.identity.authenticationName} (${x.identity.authority}) attributes ${JSON.stringify(x.identity.attributes)}`),
      el('h2', {}, 'Client groups it is in'),
      el('ul', { id: 'groups' }, x.groups.map((g) => el('li', {}, g))),
      el('h2', {}, `Permission bindings for ${x.action === 'publish' ? 'Publisher' : 'Subscriber'}`),
      x.bindings.length
        ? el('ul', { id: 'bindings' }, x.bindings.map((b) => el('li', {}, `${b.name}: group ${b.clientGroupName} → topic space ${b.topicSpaceName}`)))
        : el('p', { id: 'bindings' }, 'None of its groups is bound for this action.'),
      x.roleAssignments.length ? el('p', {}, `Role assignments: ${x.roleAssignments.join(', ')}`) : null,
      el('h2', {}, 'Topic spaces considered'),
      el('table', { id: 'templates' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Topic space'), el('th', { scope: 'col' }, 'Template'),
          el('th', { scope: 'col' }, 'After substitution'), el('th', { scope: 'col' }, 'Grants'))),
        el('tbody', {}, x.topicSpaces.flatMap((s) => s.templates.map((t) => el('tr', {},
          el('td', {}, s.name), el('td', { class: 'mono' }, t.template),
          el('td', { class: 'mono' }, t.instantiated.join('  ') || '(a variable has no value)'),
          el('td', {}, t.granting.length ? `yes (${t.granting.join(', ')})` : 'no'))))))].filter(Boolean));
  }
  return null;
}
