// Reading device telemetry. Devices publish raw JSON objects on devices/<id>/telemetry
// (the simulator: {"seq":N,"uptime_s":…,"temperature_c":…}); the dashboard charts one
// numeric field, preferring the ones that are measurements rather than counters.
const PREFERRED_METRICS = ['temperature_c', 'temperature', 'value'];
const COUNTERS = new Set(['seq', 'uptime_s', 'uptime']);
// A telemetry object with more fields than this is shown truncated.
const MAX_FIELDS = 32;

/** `devices/<id>/<leaf>` → id, or null when the topic is not that shape. */
export function deviceIdFromTopic(topic, leaf) {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'devices' || parts[2] !== leaf || parts[1] === '') return null;
  return parts[1];
}

/**
 * Parses a telemetry payload (text). Returns `{ fields, metric }` where `fields` maps names
 * to numbers or short strings and `metric` is `{ name, value }` of the field to chart (or
 * null when nothing numeric is there); null when the payload is not a JSON object.
 */
export function parseTelemetry(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const fields = {};
  let count = 0;
  for (const [name, value] of Object.entries(doc)) {
    if (count >= MAX_FIELDS) break;
    if (typeof value === 'number' && Number.isFinite(value)) fields[name] = value;
    else if (typeof value === 'string' || typeof value === 'boolean') fields[name] = String(value).slice(0, 64);
    else continue;
    count += 1;
  }
  return { fields, metric: pickMetric(fields) };
}

function pickMetric(fields) {
  for (const name of PREFERRED_METRICS) {
    if (typeof fields[name] === 'number') return { name, value: fields[name] };
  }
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'number' && !COUNTERS.has(name)) return { name, value };
  }
  return null;
}
