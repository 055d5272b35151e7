// Tiny DOM helpers: the dashboard builds its few dynamic elements by hand (no framework),
// always through textContent, never innerHTML, so device data cannot inject markup.
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`dashboard: #${id} missing from index.html`);
  return el;
}

/** h('li', { class: 'x', dataset: { id } }, child, 'text', …) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function show(el, visible) {
  el.hidden = !visible;
}
