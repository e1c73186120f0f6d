// A minimal MQTT 3.1.1 client over WebSocket for the console's "MQTT client" page.
// Written by hand because no MQTT-over-WebSocket library (mqtt.js, Paho JavaScript) is available as a
// WebJar from the Maven repository this project builds from, and the console must not need a
// front-end toolchain or the network at run time. It does what the page needs only: CONNECT with
// optional username/password, SUBSCRIBE, PUBLISH at QoS 0 or 1 (with retain), receiving PUBLISH at
// QoS 0 or 1 (acknowledged), keep-alive pings, DISCONNECT.
const te = new TextEncoder();
const td = new TextDecoder();

function str(s) {
  const b = te.encode(s);
  return [b.length >> 8, b.length & 255, ...b];
}

function packet(type, flags, body) {
  const out = [(type << 4) | flags];
  let n = body.length;
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 128;
    out.push(d);
  } while (n > 0);
  return new Uint8Array([...out, ...body]);
}

export class MqttWsClient {
  constructor({ onMessage = () => {}, onClose = () => {} } = {}) {
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.nextId = 1;
    this.pending = new Map();
    this.buffer = new Uint8Array(0);
  }

  connect(url, { clientId, username, password, keepAlive = 30, cleanSession = true }) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'mqtt');
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      this.connack = { resolve, reject };
      ws.onopen = () => {
        let flags = cleanSession ? 2 : 0;
        const payload = [...str(clientId)];
        if (username) { flags |= 0x80; payload.push(...str(username)); }
        if (password) { flags |= 0x40; payload.push(...str(password)); }
        ws.send(packet(1, 0, [...str('MQTT'), 4, flags, keepAlive >> 8, keepAlive & 255, ...payload]));
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
        this.onClose();
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
    if (type === 2) { // CONNACK
      const code = body[1];
      const c = this.connack;
      this.connack = null;
      if (code === 0) c.resolve();
      else c.reject(new Error(`CONNACK return code ${code}`));
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
      this.onMessage({ topic, payload: td.decode(body.subarray(at)), qos, retain: (header & 1) === 1 });
    } else if (type === 4 || type === 9) { // PUBACK, SUBACK
      const id = (body[0] << 8) | body[1];
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (p) p.resolve(type === 9 ? Array.from(body.subarray(2)) : undefined);
    }
  }

  id() {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return id;
  }

  awaitAck(id) {
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Resolves with the SUBACK's return code (0-2 granted QoS, 128 refused). */
  async subscribe(filter, qos = 0) {
    const id = this.id();
    const acked = this.awaitAck(id);
    this.ws.send(packet(8, 2, [id >> 8, id & 255, ...str(filter), qos]));
    return (await acked)[0];
  }

  async publish(topic, payload, { qos = 0, retain = false } = {}) {
    const body = [...str(topic)];
    let acked = null;
    if (qos > 0) {
      const id = this.id();
      acked = this.awaitAck(id);
      body.push(id >> 8, id & 255);
    }
    body.push(...te.encode(payload));
    this.ws.send(packet(3, (qos << 1) | (retain ? 1 : 0), body));
    if (acked) await acked;
  }

  disconnect() {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(packet(14, 0, []));
      this.ws.close();
    }
  }
}
