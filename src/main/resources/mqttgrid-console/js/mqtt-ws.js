// A small MQTT 5 and 3.1.1 client over WebSocket for the console's "MQTT client" page.
// Written by hand because no MQTT-over-WebSocket library (mqtt.js, Paho JavaScript) is available as a
// WebJar from the Maven repository this project builds from, and the console must not need a
// front-end toolchain or the network at run time. It does what the page needs only: CONNECT with
// optional username/password, SUBSCRIBE, PUBLISH at QoS 0 or 1 (with retain and, over MQTT 5, the
// message properties), receiving PUBLISH at QoS 0 or 1 (acknowledged) with their properties,
// keep-alive pings, DISCONNECT (sent, and received from the server over MQTT 5). It never sets a
// Topic Alias Maximum, so the server sends no topic aliases.
const te = new TextEncoder();
const td = new TextDecoder();

/** MQTT 5 reason codes (section 2.4), by value. */
const REASONS = {
  0x00: 'Success', 0x01: 'Granted QoS 1', 0x02: 'Granted QoS 2', 0x04: 'Disconnect with Will Message',
  0x10: 'No matching subscribers', 0x11: 'No subscription existed', 0x18: 'Continue authentication',
  0x19: 'Re-authenticate', 0x80: 'Unspecified error', 0x81: 'Malformed Packet', 0x82: 'Protocol Error',
  0x83: 'Implementation specific error', 0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid', 0x86: 'Bad User Name or Password', 0x87: 'Not authorized',
  0x88: 'Server unavailable', 0x89: 'Server busy', 0x8A: 'Banned', 0x8B: 'Server shutting down',
  0x8C: 'Bad authentication method', 0x8D: 'Keep Alive timeout', 0x8E: 'Session taken over',
  0x8F: 'Topic Filter invalid', 0x90: 'Topic Name invalid', 0x91: 'Packet Identifier in use',
  0x92: 'Packet Identifier not found', 0x93: 'Receive Maximum exceeded', 0x94: 'Topic Alias invalid',
  0x95: 'Packet too large', 0x96: 'Message rate too high', 0x97: 'Quota exceeded',
  0x98: 'Administrative action', 0x99: 'Payload format invalid', 0x9A: 'Retain not supported',
  0x9B: 'QoS not supported', 0x9C: 'Use another server', 0x9D: 'Server moved',
  0x9E: 'Shared Subscriptions not supported', 0x9F: 'Connection rate exceeded',
  0xA0: 'Maximum connect time', 0xA1: 'Subscription Identifiers not supported',
  0xA2: 'Wildcard Subscriptions not supported',
};

/** MQTT 3.1.1 CONNACK return codes (section 3.2.2.3). */
const CONNACK_311 = {
  0: 'Connection Accepted', 1: 'unacceptable protocol version', 2: 'identifier rejected',
  3: 'Server unavailable', 4: 'bad user name or password', 5: 'not authorized',
};

const hex2 = (code) => `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;

/** A reason code in words: "0x87 Not authorized". */
export function reasonText(code, version = 5) {
  if (version === 4) return `${hex2(code)} ${CONNACK_311[code] || 'unknown return code'}`;
  return `${hex2(code)} ${REASONS[code] || 'unknown reason code'}`;
}

/** A SUBACK code in words (3.1.1 has 0-2 and 0x80 Failure). */
export function subackText(code, version = 5) {
  if (version === 4 && code === 0x80) return '0x80 Failure';
  if (code <= 2) return `${hex2(code)} Granted QoS ${code}`;
  return reasonText(code, version);
}

function str(s) {
  const b = te.encode(s);
  return [b.length >> 8, b.length & 255, ...b];
}

function bin(bytes) {
  return [bytes.length >> 8, bytes.length & 255, ...bytes];
}

function varint(n) {
  const out = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 128;
    out.push(d);
  } while (n > 0);
  return out;
}

function packet(type, flags, body) {
  return new Uint8Array([(type << 4) | flags, ...varint(body.length), ...body]);
}

const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/**
 * The PUBLISH properties the page sets, encoded (section 3.3.2.3): payloadFormatIndicator (0/1),
 * messageExpiryInterval (seconds), contentType, responseTopic, correlationData (bytes),
 * userProperties ([[name, value]]).
 */
function publishProperties(p = {}) {
  const out = [];
  if (p.payloadFormatIndicator !== undefined && p.payloadFormatIndicator !== null) out.push(0x01, p.payloadFormatIndicator);
  if (p.messageExpiryInterval !== undefined && p.messageExpiryInterval !== null) out.push(0x02, ...u32(p.messageExpiryInterval));
  if (p.contentType) out.push(0x03, ...str(p.contentType));
  if (p.responseTopic) out.push(0x08, ...str(p.responseTopic));
  if (p.correlationData && p.correlationData.length) out.push(0x09, ...bin(p.correlationData));
  for (const [name, value] of p.userProperties || []) out.push(0x26, ...str(name), ...str(value));
  return out;
}

/** Reads a property block at {@code at}; answers the properties and where the block ends. */
function readProperties(body, at) {
  let length = 0; let mult = 1; let d;
  do {
    d = body[at++];
    length += (d & 127) * mult;
    mult *= 128;
  } while (d & 128);
  const end = at + length;
  const props = { userProperties: [] };
  const u16 = () => { const v = (body[at] << 8) | body[at + 1]; at += 2; return v; };
  const bytes = () => { const n = u16(); const b = body.slice(at, at + n); at += n; return b; };
  const text = () => td.decode(bytes());
  while (at < end) {
    const id = body[at++];
    switch (id) {
      case 0x01: props.payloadFormatIndicator = body[at++]; break;
      case 0x02: props.messageExpiryInterval = ((body[at] << 24) >>> 0) + (body[at + 1] << 16) + (body[at + 2] << 8) + body[at + 3]; at += 4; break;
      case 0x03: props.contentType = text(); break;
      case 0x08: props.responseTopic = text(); break;
      case 0x09: props.correlationData = bytes(); break;
      case 0x0B: { let v = 0; let m = 1; let b; do { b = body[at++]; v += (b & 127) * m; m *= 128; } while (b & 128); (props.subscriptionIdentifiers ||= []).push(v); break; }
      case 0x11: case 0x18: case 0x27: at += 4; break;
      case 0x12: props.assignedClientIdentifier = text(); break;
      case 0x13: props.serverKeepAlive = u16(); break;
      case 0x15: case 0x1A: case 0x1C: text(); break;
      case 0x16: bytes(); break;
      case 0x1F: props.reasonString = text(); break;
      case 0x21: case 0x22: case 0x23: u16(); break;
      case 0x24: props.maximumQos = body[at++]; break;
      case 0x25: case 0x28: case 0x29: case 0x2A: case 0x17: case 0x19: at += 1; break;
      case 0x26: props.userProperties.push([text(), text()]); break;
      default: at = end; // an unknown property: the rest of the block cannot be read
    }
  }
  return { props, end };
}

export class MqttWsClient {
  constructor({ onMessage = () => {}, onClose = () => {} } = {}) {
    this.onMessage = onMessage;
    /** Called with the server's DISCONNECT ({reasonCode, reason, reasonString}) or null. */
    this.onClose = onClose;
    this.nextId = 1;
    this.pending = new Map();
    this.buffer = new Uint8Array(0);
    this.version = 5;
    this.serverDisconnect = null;
  }

  /**
   * Resolves with the CONNACK ({reasonCode, reason, sessionPresent, properties}); rejects with an
   * Error whose reasonCode and message name a refusal. version: 5 or 4 (MQTT 3.1.1).
   */
  connect(url, { clientId, username, password, keepAlive = 30, cleanStart = true, version = 5 }) {
    this.version = version;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'mqtt');
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      this.connack = { resolve, reject };
      ws.onopen = () => {
        let flags = cleanStart ? 2 : 0;
        const payload = [...str(clientId)];
        if (username) { flags |= 0x80; payload.push(...str(username)); }
        if (password) { flags |= 0x40; payload.push(...str(password)); }
        const properties = version === 5 ? [0] : [];
        ws.send(packet(1, 0, [...str('MQTT'), version, flags, keepAlive >> 8, keepAlive & 255, ...properties, ...payload]));
        this.ping = setInterval(() => ws.readyState === 1 && ws.send(packet(12, 0, [])), keepAlive * 500);
      };
      ws.onmessage = (event) => this.received(new Uint8Array(event.data));
      ws.onerror = () => reject(new Error('the WebSocket could not be opened'));
      ws.onclose = () => {
        clearInterval(this.ping);
        if (this.connack) this.connack.reject(new Error('the connection closed before CONNACK'));
        this.connack = null;
        for (const p of this.pending.values()) p.reject(new Error('connection closed'));
        this.pending.clear();
        this.onClose(this.serverDisconnect);
      };
    });
  }

  received(bytes) {
    const all = new Uint8Array(this.buffer.length + bytes.length);
    all.set(this.buffer);
    all.set(bytes, this.buffer.length);
    let at = 0;
    for (;;) {
      if (all.length - at < 2) break;
      let length = 0; let mult = 1; let i = at + 1; let complete = false;
      while (i < all.length) {
        const d = all[i++];
        length += (d & 127) * mult;
        mult *= 128;
        if ((d & 128) === 0) { complete = true; break; }
      }
      if (!complete || all.length < i + length) break;
      this.handle(all[at], all.subarray(i, i + length));
      at = i + length;
    }
    this.buffer = all.slice(at);
  }

  handle(header, body) {
    const type = header >> 4;
    const v5 = this.version === 5;
    if (type === 2) { // CONNACK
      const code = body[1];
      const props = v5 && body.length > 2 ? readProperties(body, 2).props : {};
      const c = this.connack;
      this.connack = null;
      const ack = { reasonCode: code, reason: reasonText(code, this.version), sessionPresent: (body[0] & 1) === 1, properties: props };
      if (code === 0) c.resolve(ack);
      else {
        const e = new Error(`CONNACK ${ack.reason}${props.reasonString ? `: ${props.reasonString}` : ''}`);
        e.reasonCode = code;
        c.reject(e);
      }
    } else if (type === 3) { // PUBLISH
      const qos = (header >> 1) & 3;
      const topicLength = (body[0] << 8) | body[1];
      const topic = td.decode(body.subarray(2, 2 + topicLength));
      let at = 2 + topicLength;
      if (qos > 0) {
        const id = [body[at], body[at + 1]];
        at += 2;
        this.ws.send(packet(qos === 1 ? 4 : 5, 0, id));
      }
      let properties = { userProperties: [] };
      if (v5) ({ props: properties, end: at } = readProperties(body, at));
      const payload = body.slice(at);
      this.onMessage({ topic, payload: td.decode(payload), payloadBytes: payload, qos, retain: (header & 1) === 1, properties });
    } else if (type === 4) { // PUBACK
      const id = (body[0] << 8) | body[1];
      const code = body.length > 2 ? body[2] : 0;
      const props = v5 && body.length > 3 ? readProperties(body, 3).props : {};
      this.settle(id, { reasonCode: code, reason: reasonText(code, this.version), reasonString: props.reasonString });
    } else if (type === 9) { // SUBACK
      const id = (body[0] << 8) | body[1];
      const at = v5 ? readProperties(body, 2).end : 2;
      this.settle(id, Array.from(body.subarray(at)));
    } else if (type === 14 && v5) { // DISCONNECT from the server
      const code = body.length > 0 ? body[0] : 0;
      const props = body.length > 1 ? readProperties(body, 1).props : {};
      this.serverDisconnect = { reasonCode: code, reason: reasonText(code), reasonString: props.reasonString };
    }
  }

  settle(id, value) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (p) p.resolve(value);
  }

  id() {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return id;
  }

  awaitAck(id) {
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Resolves with the SUBACK's code (0-2 granted QoS; 0x80 and above refused). */
  async subscribe(filter, qos = 0) {
    const id = this.id();
    const acked = this.awaitAck(id);
    const properties = this.version === 5 ? [0] : [];
    this.ws.send(packet(8, 2, [id >> 8, id & 255, ...properties, ...str(filter), qos]));
    return (await acked)[0];
  }

  /**
   * Publishes; at QoS 1 resolves with the PUBACK ({reasonCode, reason, reasonString}), at QoS 0
   * with null. properties (MQTT 5 only): see publishProperties.
   */
  async publish(topic, payload, { qos = 0, retain = false, properties = {} } = {}) {
    const body = [...str(topic)];
    let acked = null;
    if (qos > 0) {
      const id = this.id();
      acked = this.awaitAck(id);
      body.push(id >> 8, id & 255);
    }
    if (this.version === 5) {
      const p = publishProperties(properties);
      body.push(...varint(p.length), ...p);
    }
    body.push(...te.encode(payload));
    this.ws.send(packet(3, (qos << 1) | (retain ? 1 : 0), body));
    return acked ? acked : null;
  }

  disconnect() {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(packet(14, 0, this.version === 5 ? [0, 0] : []));
      this.ws.close();
    }
  }
}
