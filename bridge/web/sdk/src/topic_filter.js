// MQTT topic filter matching (`+` one level, `#` the rest), used to route envelopes to the
// subscriptions that asked for them and to pick the resume positions of one subscription.

export function topicMatches(filter, topic) {
  const f = filter.split('/');
  const t = topic.split('/');
  // Wildcards never match topics starting with `$` (MQTT 4.7.2).
  if (t[0].startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A filter is valid when `#` only ends it and wildcards fill whole levels. */
export function isValidFilter(filter) {
  if (typeof filter !== 'string' || filter.length === 0 || filter.includes('\0')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level === '#') return i === levels.length - 1;
    if (level === '+') return true;
    return !level.includes('#') && !level.includes('+');
  });
}

/** A publish topic: non-empty, no wildcards, no NUL. */
export function isValidTopic(topic) {
  return typeof topic === 'string' && topic.length > 0 && !/[+#\0]/.test(topic);
}
