// Building the page from data: elements and text nodes only. User text is never parsed as HTML
// (no HTML parsing of strings anywhere in the client), so a caption or a name can never become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value') {
      el.value = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;           // properties such as checked, disabled, hidden
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Caption text with #hashtags and @mentions as links, built as nodes.
const TOKEN = /([#＃][\p{L}\p{N}_]+|@[a-z0-9_.]{3,30})/gu;
export function richText(text) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    const token = match[0];
    if (token.startsWith('@')) {
      out.push(h('a', { href: `#/u/${encodeURIComponent(token.slice(1))}` }, token));
    } else {
      out.push(h('a', { href: `#/tag/${encodeURIComponent(token.slice(1).toLowerCase())}` }, token));
    }
    last = match.index + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function timeAgo(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  const units = [[60, 'min'], [24, 'h'], [7, 'd'], [52, 'w']];
  let value = seconds / 60;
  let unit = 'min';
  for (let i = 1; i < units.length && value >= units[i][0]; i++) {
    value /= units[i][0];
    unit = units[i][1];
  }
  return `${Math.floor(value)} ${unit} ago`;
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

let toastTimer = null;
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

// Calls loadMore() whenever the sentinel scrolls into view (endless scroll), with a button as the
// keyboard-friendly fallback. loadMore returns false when there is nothing more.
export function endless(container, loadMore) {
  const button = h('button', { type: 'button', class: 'more' }, 'Load more');
  const sentinel = h('div', { class: 'sentinel' }, button);
  container.after(sentinel);
  let busy = false;
  let done = false;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) step();
  }, { rootMargin: '600px' });
  async function step() {
    if (busy || done || !sentinel.isConnected) return;
    busy = true;
    button.disabled = true;
    try {
      done = (await loadMore()) === false;
    } finally {
      busy = false;
      button.disabled = false;
    }
    if (done) {
      observer.disconnect();
      sentinel.remove();
    }
  }
  button.addEventListener('click', step);
  observer.observe(sentinel);
  return step;
}
