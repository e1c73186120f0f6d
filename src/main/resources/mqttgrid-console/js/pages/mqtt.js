// MQTT in the browser: connect to this node's WebSocket listener over MQTT 5 or 3.1.1, subscribe,
// publish with properties, watch messages and their properties arrive.
import { api } from '../api.js';
import { el, field, clearErrors, showError, values } from '../forms.js';
import { MqttWsClient, subackText } from '../mqtt-ws.js';

let client = null;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const te = new TextEncoder();

/** Bytes as UTF-8 text when they are, else as hex. */
function bytesText(bytes) {
  try {
    return strictUtf8.decode(bytes);
  } catch (e) {
    return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }
}

/** Where a refused CONNACK's reason belongs: the field it is about. */
function connectTarget(code) {
  if (code === 0x85 || code === 2) return 'clientId';
  if ([0x86, 0x87, 0x8C, 4, 5].includes(code)) return 'password';
  return 'url';
}

/** The publish form's properties, or throws {target, message} for the field that is wrong. */
function propertiesOf(v) {
  const p = { userProperties: [] };
  if (v.contentType) p.contentType = v.contentType;
  if (v.payloadFormatIndicator !== '') p.payloadFormatIndicator = Number(v.payloadFormatIndicator);
  if (v.responseTopic) p.responseTopic = v.responseTopic;
  if (v.correlationData) p.correlationData = te.encode(v.correlationData);
  if (v.messageExpiryInterval.trim() !== '') {
    const n = Number(v.messageExpiryInterval.trim());
    if (!Number.isInteger(n) || n < 0 || n > 4294967295) {
      throw { target: 'messageExpiryInterval', message: 'Seconds: a whole number from 0 to 4294967295.' };
    }
    p.messageExpiryInterval = n;
  }
  const lines = v.userProperties.split('\n').filter((l) => l.trim() !== '');
  for (const [i, line] of lines.entries()) {
    const at = line.indexOf('=');
    if (at <= 0) throw { target: 'userProperties', message: `Line ${i + 1}: write name=value.` };
    p.userProperties.push([line.slice(0, at).trim(), line.slice(at + 1)]);
  }
  return p;
}

function messageView(m) {
  const p = m.properties || {};
  const rows = [];
  const add = (name, value) => rows.push(el('dt', {}, name), el('dd', {}, value));
  if (p.contentType !== undefined) add('Content type', p.contentType);
  if (p.payloadFormatIndicator !== undefined) add('Payload format', p.payloadFormatIndicator === 1 ? '1 (UTF-8 text)' : `${p.payloadFormatIndicator} (bytes)`);
  if (p.responseTopic !== undefined) add('Response topic', p.responseTopic);
  if (p.correlationData !== undefined) add('Correlation data', bytesText(p.correlationData));
  if (p.messageExpiryInterval !== undefined) add('Message expiry', `${p.messageExpiryInterval} s left`);
  for (const [name, value] of p.userProperties || []) add(`User property ${name}`, value);
  return el('div', { class: 'message', 'data-topic': m.topic },
    el('div', {}, `${m.topic} [QoS ${m.qos}${m.retain ? ', retained' : ''}] ${m.payload}`),
    rows.length ? el('dl', { class: 'properties' }, rows) : null);
}

export function mqttPage(root) {
  const status = el('p', { role: 'status', id: 'mqtt-status' }, 'Not connected.');
  const log = el('div', { class: 'log', id: 'mqtt-messages', 'aria-live': 'polite', 'aria-label': 'Messages received' });
  const url = field({ label: 'WebSocket URL', name: 'url', target: 'url', value: '' });
  const connectForm = el('form', { id: 'mqtt-connect', novalidate: true },
    url,
    field({ label: 'MQTT version', name: 'version', target: 'version', kind: 'select', value: '5', options: [['5', 'MQTT 5'], ['4', 'MQTT 3.1.1']] }),
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
    el('div', { class: 'row' },
      field({ label: 'QoS', name: 'qos', target: 'qos', kind: 'select', value: '0', options: [['0', '0'], ['1', '1']] }),
      field({ label: 'Retain', name: 'retain', target: 'retain', kind: 'select', value: 'false', options: [['false', 'No'], ['true', 'Yes']] })),
    el('fieldset', { id: 'mqtt-properties' },
      el('legend', {}, 'Properties (MQTT 5 only)'),
      field({ label: 'Content type', name: 'contentType', target: 'contentType' }),
      field({ label: 'Payload format indicator', name: 'payloadFormatIndicator', target: 'payloadFormatIndicator', kind: 'select', value: '', options: [['', 'Not set'], ['0', '0: bytes'], ['1', '1: UTF-8 text']] }),
      field({ label: 'Response topic', name: 'responseTopic', target: 'responseTopic' }),
      field({ label: 'Correlation data', name: 'correlationData', target: 'correlationData', hint: 'Sent as the UTF-8 bytes of the text.' }),
      field({ label: 'Message expiry (seconds)', name: 'messageExpiryInterval', target: 'messageExpiryInterval' }),
      field({ label: 'User properties', name: 'userProperties', target: 'userProperties', kind: 'textarea', hint: 'One name=value a line; a name may repeat.' })),
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
    const version = Number(v.version);
    if (client) client.disconnect();
    const mine = new MqttWsClient({
      onMessage: (m) => log.append(messageView(m)),
      onClose: (byServer) => {
        if (client !== mine) return;
        status.textContent = byServer
          ? `Disconnected by the server: DISCONNECT ${byServer.reason}${byServer.reasonString ? ` (${byServer.reasonString})` : ''}.`
          : 'Not connected.';
      },
    });
    client = mine;
    try {
      status.textContent = 'Connecting…';
      const ack = await mine.connect(v.url, { clientId: v.clientId, username: v.username, password: v.password, version });
      status.textContent = `Connected as ${v.clientId}. CONNACK ${ack.reason}, ${version === 5 ? 'MQTT 5' : 'MQTT 3.1.1'}.`;
    } catch (e) {
      status.textContent = 'Not connected.';
      showError(connectForm, { target: e.reasonCode === undefined ? 'url' : connectTarget(e.reasonCode), message: e.message });
    }
  });
  subscribeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(subscribeForm);
    const v = values(subscribeForm);
    try {
      const code = await client.subscribe(v.filter, Number(v.qos));
      const text = subackText(code, client.version);
      if (code >= 0x80) showError(subscribeForm, { target: 'filter', message: `Subscription refused: SUBACK ${text}.` });
      else status.textContent = `Subscribed to ${v.filter} (SUBACK ${text}).`;
    } catch (e) {
      showError(subscribeForm, { target: 'filter', message: client ? e.message : 'Connect first.' });
    }
  });
  publishForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(publishForm);
    const v = values(publishForm);
    let properties;
    try {
      properties = propertiesOf(v);
    } catch (e) {
      showError(publishForm, e);
      return;
    }
    try {
      const ack = await client.publish(v.topic, v.payload, { qos: Number(v.qos), retain: v.retain === 'true', properties });
      if (ack && ack.reasonCode >= 0x80) {
        showError(publishForm, { target: 'topic', message: `Refused: PUBACK ${ack.reason}${ack.reasonString ? ` (${ack.reasonString})` : ''}.` });
      } else {
        status.textContent = `Published to ${v.topic}${ack ? ` (PUBACK ${ack.reason})` : ''}.`;
      }
    } catch (e) {
      showError(publishForm, { target: 'topic', message: client ? e.message : 'Connect first.' });
    }
  });
  return () => { if (client) client.disconnect(); client = null; };
}
