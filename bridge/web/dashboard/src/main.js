// The dashboard application: connects with the SDK the bridge serves (/sdk/laneway.js, the
// same module any page can load), subscribes to the fleet's telemetry and events, polls
// presence, and wires the views. All state lives in FleetModel / ActivityLog /
// BroadcastAcks; views only render it.
import { initialize } from '/sdk/laneway.js';
import { ActivityLog } from './activity_log.js';
import { BroadcastAcks, broadcastTopic } from './broadcast_acks.js';
import { FleetModel } from './fleet_model.js';
import { formatMs, laneName } from './format.js';
import { TokenSource } from './token_source.js';
import { ActivityView } from './views/activity_view.js';
import { BroadcastView } from './views/broadcast_view.js';
import { ConnectionView } from './views/connection_view.js';
import { DeviceDetailView } from './views/device_detail_view.js';
import { DeviceListView } from './views/device_list_view.js';
import { RpcView } from './views/rpc_view.js';

const TRANSPORTS = ['auto', 'wt', 'ws', 'sse'];
// Presence has no push on the web lanes: ask for it, and measure RTT, this often.
const POLL_MS = 5_000;
// Renders are coalesced to at most one per this many ms (telemetry can arrive in bursts).
const RENDER_MS = 200;
const RPC_TIMEOUT_MS = 5_000;

function meta(name) {
  return document.querySelector(`meta[name="${name}"]`)?.content ?? '';
}

const params = new URLSearchParams(location.search);
const appId = params.get('app') || meta('laneway-app') || 'dashboard';
let transport = TRANSPORTS.includes(params.get('transport')) ? params.get('transport') : 'auto';

const tokens = new TokenSource({ storage: sessionStorage, fetch: window.fetch.bind(window), tokenUrl: meta('laneway-token-url') });
const cleanedHash = tokens.adoptFragment(location.hash);
if (location.hash !== cleanedHash) history.replaceState(null, '', `${location.pathname}${location.search}${cleanedHash}`);

const model = new FleetModel();
const log = new ActivityLog();
const acks = new BroadcastAcks();

let client = null;
let lastError = null;
let laneInfo = null;
let selectedId = null;
let received = 0;
let lastBroadcast = null;
let pollTimer = null;
let renderTimer = null;

const connectionView = new ConnectionView({
  transport,
  onLane: (next) => {
    transport = next;
    const url = new URL(location.href);
    if (next === 'auto') url.searchParams.delete('transport');
    else url.searchParams.set('transport', next);
    history.replaceState(null, '', url);
    restart();
  },
  onToken: (token) => {
    tokens.set(token);
    restart();
  },
});
const deviceList = new DeviceListView({ onSelect: select, onQuery: scheduleRender });
const detail = new DeviceDetailView();
const rpc = new RpcView({ onCall: callDevice });
const broadcast = new BroadcastView({ onSend: sendBroadcast });
const activity = new ActivityView();

function select(id) {
  if (id !== selectedId) rpc.reset();
  selectedId = id;
  render();
}

async function callDevice(method, payloadText) {
  if (!client || !selectedId) throw new Error('not connected');
  const deviceId = selectedId;
  const started = performance.now();
  try {
    const reply = await client.call(deviceId, method, payloadText, { timeoutMs: RPC_TIMEOUT_MS });
    const ms = performance.now() - started;
    log.add('ok', `${deviceId} answered ${method}`, formatMs(ms));
    scheduleRender();
    return { text: reply.text(), ms };
  } catch (err) {
    log.add('error', `${method} to ${deviceId} failed`, err.message);
    scheduleRender();
    throw err;
  }
}

async function sendBroadcast(group, text) {
  if (!client) throw new Error('not connected');
  const topic = broadcastTopic(group);
  const label = group ? `group ${group}` : 'all devices';
  const record = acks.track(topic, label);
  await client.publish(topic, text, { qos: 1 });
  lastBroadcast = record;
  log.add('ok', `Broadcast sent to ${label}`, topic);
  scheduleRender();
}

function onTelemetry(message) {
  received += 1;
  const id = model.applyTelemetry(message);
  if (id && selectedId === null) selectedId = id;
  scheduleRender();
}

function onEvent(message) {
  received += 1;
  const record = acks.applyEvent(message);
  if (record && record === lastBroadcast) scheduleRender();
}

async function poll() {
  if (!client || client.state !== 'connected') return;
  try {
    model.applyPresence(await client.presence('+'));
    if (selectedId === null || !model.get(selectedId)) selectedId = model.firstOnline();
    await client.ping();
  } catch (err) {
    lastError = err;
  }
  scheduleRender();
}

function start() {
  if (!tokens.available) {
    render();
    return;
  }
  const c = initialize({ appId, getUserJwt: () => tokens.get(), transport });
  client = c;
  lastError = null;
  c.on('state', (state, info) => {
    if (client !== c) return;
    if (state === 'connected') {
      lastError = null;
      log.add('ok', `Connected over ${laneName(info.lane)}`, info.sessionId ? `session ${info.sessionId}` : '');
      poll();
    } else if (state === 'reconnecting' && info.error) {
      log.add('warn', 'Connection lost; reconnecting', info.error.message);
    } else if (state === 'closed') {
      const err = info.error ?? lastError;
      if (err) log.add('error', 'Disconnected', err.message);
      // A refused token must not be offered again on reload.
      if (err && (err.code === 'UNAUTHORIZED' || err.code === 'TOKEN_EXPIRED')) tokens.clear();
    }
    scheduleRender();
  });
  c.on('lane', (info) => {
    if (client === c) laneInfo = info;
  });
  c.on('error', (err) => {
    if (client !== c) return;
    lastError = err;
    scheduleRender();
  });
  c.on('rtt', () => scheduleRender());
  c.on('resume', ({ filter, recovered }) => {
    if (recovered) log.add('ok', `Resumed ${filter}`, 'nothing missed');
    else log.add('warn', `Resumed ${filter}; some messages may be missing`, 'the bridge could not replay the gap');
    scheduleRender();
  });
  c.on('gap', ({ topic, last, received: got }) => {
    log.add('warn', `Gap on ${topic}`, `seq ${last.seq} → ${got.seq}`);
  });
  c.subscribe('devices/+/telemetry', onTelemetry).catch((err) => log.add('error', 'Telemetry subscription refused', err.message));
  c.subscribe('devices/+/events', onEvent).catch((err) => log.add('error', 'Events subscription refused', err.message));
  clearInterval(pollTimer);
  pollTimer = setInterval(poll, POLL_MS);
  render();
}

function restart() {
  const old = client;
  client = null;
  laneInfo = null;
  old?.close();
  start();
}

function scheduleRender() {
  if (renderTimer) return;
  renderTimer = setTimeout(() => {
    renderTimer = null;
    render();
  }, RENDER_MS);
}

function connectionFacts() {
  const facts = [['App', appId], ['Lane requested', transport === 'auto' ? 'Auto' : laneName(transport)]];
  if (client?.state === 'connected') {
    facts.push(['Lane in use', laneName(client.lane)]);
    if (laneInfo) {
      const tried = laneInfo.attempts.map((a) => `${laneName(a.lane)} ${a.ok ? '✓' : '✗'}`).join(', ');
      if (tried) facts.push(['Tried', tried]);
    }
    facts.push(['Round trip', formatMs(client.rtt)]);
    if (client.serverVersion) facts.push(['Bridge', client.serverVersion]);
    if (client.sessionId) facts.push(['Session', client.sessionId]);
  }
  facts.push(['Messages received', received.toLocaleString()]);
  return facts;
}

function render() {
  const now = Date.now();
  const state = client?.state ?? (tokens.available ? 'connecting' : 'closed');
  const connected = state === 'connected';
  connectionView.render({
    state,
    lane: client?.lane ?? null,
    error: lastError,
    transport,
    hasToken: tokens.available || client !== null,
    rtt: client?.rtt ?? null,
    claims: tokens.claims(),
    facts: connectionFacts(),
  });
  deviceList.render({
    devices: model.list({ query: deviceList.query }),
    counts: model.counts(),
    selectedId,
    nowMs: now,
    connected,
    overflow: model.overflow,
  });
  detail.render(selectedId ? model.get(selectedId) : null, now);
  rpc.setEnabled(connected && selectedId !== null);
  broadcast.setGroups(model.groups());
  broadcast.setEnabled(connected);
  if (lastBroadcast) broadcast.showProgress({ label: lastBroadcast.label, acked: lastBroadcast.acked.size, online: model.counts().online });
  activity.render(log.entries());
  document.body.dataset.state = state;
}

// Ages ("3 s ago") move on even when nothing arrives.
setInterval(render, 1_000);
start();
