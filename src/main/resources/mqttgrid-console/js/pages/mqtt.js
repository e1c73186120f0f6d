// MQTT in the browser: connect to this node's WebSocket listener, subscribe, publish, watch messages.
import { api } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';
import { MqttWsClient } from '../mqtt-ws.js';

let client = null;

export function mqttPage(root) {
  const status = el('p', { role: 'status', id: 'mqtt-status' }, 'Not connected.');
  const log = el('div', { class: 'log', id: 'mqtt-messages', 'aria-live': 'polite', 'aria-label': 'Messages received' });
  const url = field({ label: 'WebSocket URL', name: 'url', target: 'url', value: '' });
  const connectForm = el('form', { id: 'mqtt-connect', novalidate: true },
    url,
    field({ label: 'Client id', name: 'clientId', target: 'clientId', value: `console-${Math.random().toString(16).slice(2, 10)}` }),
    field({ label: 'Username', name: 'username', target: 'username', hint: 'A registered client\'s authentication name, CUSTOM-JWT with a token as password, or empty for anonymous.' }),
    field({ label: 'Password or token', name: 'password', target: 'password', type: 'password' }),
    el('button', { type: 'submit' }, 'Connect'), ' ',
    el('button', { type: 'button', class: 'secondary', id: 'mqtt-disconnect', onclick: () => client && client.disconnect() }, 'Disconnect'));
  const subscribeForm = el('form', { id: 'mqtt-subscribe', class: 'row', novalidate: true },
    field({ label: 'Filter', name: 'filter', target: 'filter' }),
    field({ label: 'QoS', name: 'qos', target: 'qos', kind: 'select', value: '0', options: [['0', '0'], ['1', '1']] }),
    el('button', { type: 'submit' }, 'Subscribe'));
  const publishForm = el('form', { id: 'mqtt-publish', novalidate: true },
    field({ label: 'Topic', name: 'topic', target: 'topic' }),
    field({ label: 'Payload', name: 'payload', target: 'payload', kind: 'textarea' }),
    field({ label: 'QoS', name: 'qos', target: 'qos', kind: 'select', value: '0', options: [['0', '0'], ['1', '1']] }),
    field({ label: 'Retain', name: 'retain', target: 'retain', kind: 'select', value: 'false', options: [['false', 'No'], ['true', 'Yes']] }),
    el('button', { type: 'submit' }, 'Publish'));
  root.append(el('h1', {}, 'MQTT client'), status,
    el('div', { class: 'split' },
      el('section', { 'aria-label': 'Connection' }, el('h2', {}, 'Connect'), connectForm),
      el('section', { 'aria-label': 'Subscribe and publish' }, el('h2', {}, 'Subscribe'), subscribeForm, el('h2', {}, 'Publish'), publishForm)),
    el('h2', {}, 'Messages'), log);

  api.get('/overview').then((o) => {
    const input = url.querySelector('input');
    if (!input.value) input.value = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:${o.websocketPort}${o.websocketPath}`;
  }).catch(() => {});

  connectForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(connectForm);
    const v = values(connectForm);
    if (client) client.disconnect();
    client = new MqttWsClient({
      onMessage: (m) => log.append(el('div', { class: 'message' }, `${m.topic} [QoS ${m.qos}${m.retain ? ', retained' : ''}] ${m.payload}`)),
      onClose: () => { status.textContent = 'Not connected.'; },
    });
    try {
      status.textContent = 'Connecting…';
      await client.connect(v.url, { clientId: v.clientId, username: v.username, password: v.password });
      status.textContent = `Connected as ${v.clientId}.`;
    } catch (e) {
      status.textContent = 'Not connected.';
      showError(connectForm, { target: 'url', message: e.message });
    }
  });
  subscribeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(subscribeForm);
    const v = values(subscribeForm);
    try {
      const code = await client.subscribe(v.filter, Number(v.qos));
      if (code === 128) showError(subscribeForm, { target: 'filter', message: 'Subscription refused (SUBACK 0x80).' });
      else status.textContent = `Subscribed to ${v.filter} (QoS ${code}).`;
    } catch (e) {
      showError(subscribeForm, { target: 'filter', message: client ? e.message : 'Connect first.' });
    }
  });
  publishForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(publishForm);
    const v = values(publishForm);
    try {
      await client.publish(v.topic, v.payload, { qos: Number(v.qos), retain: v.retain === 'true' });
      status.textContent = `Published to ${v.topic}.`;
    } catch (e) {
      showError(publishForm, { target: 'topic', message: client ? e.message : 'Connect first.' });
    }
  });
  return null;
}
