// The entry module: routing (hash URLs, so the server serves one page), the navigation, the live
// stream's banner and badge, and the session's start and end.
import { call, get, whenUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import { LiveStream } from './live.js';
import { session } from './session.js';
import { markFailed, removePost, updateCaption } from './components.js';
import * as auth from './views/auth.js';
import * as feed from './views/feed.js';
import * as post from './views/post.js';
import * as profile from './views/profile.js';
import * as upload from './views/upload.js';
import * as notifications from './views/notifications.js';
import * as search from './views/search.js';
import * as settings from './views/settings.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const badge = document.getElementById('badge');
const banner = document.getElementById('live-banner');

export const live = new LiveStream();
const unread = new Set();           // ids of unread notifications (server's first page + live ones)
let pendingPosts = [];              // live posts not yet shown on the home feed
let current = { cleanup: null, view: null };

const ROUTES = [
  [/^\/login$/, auth.login, { public: true }],
  [/^\/signup$/, auth.signup, { public: true }],
  [/^\/$/, feed.render],
  [/^\/p\/([0-9]+)$/, post.render],
  [/^\/u\/([^/]+)$/, profile.render],
  [/^\/me$/, () => { location.replace(`#/u/${encodeURIComponent(session.user.username)}`); }],
  [/^\/new$/, upload.render],
  [/^\/notifications$/, notifications.render],
  [/^\/search$/, search.render],
  [/^\/tag\/([^/]+)$/, search.hashtag],
  [/^\/settings$/, settings.render],
];

export const app = {
  live,
  get pendingPosts() { return pendingPosts; },
  takePendingPosts() {
    const taken = pendingPosts;
    pendingPosts = [];
    showBanner();
    return taken;
  },
  clearUnread() { unread.clear(); showBadge(); },
  signedIn(token, user) {
    session.save(token, user);
    startSession();
    location.hash = '#/';
  },
  async logOut() {
    try { await call('DELETE', '/api/v1/sessions/current'); } catch { /* forgotten locally anyway */ }
    endSession();
  },
  endSession() { endSession(); },
  showBanner,
};

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

async function route() {
  const { path, query } = parseHash();
  if (typeof current.cleanup === 'function') current.cleanup();
  current = { cleanup: null, view: null };
  for (const [pattern, view, options = {}] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    if (!options.public && !session.token) {
      location.replace('#/login');
      return;
    }
    if (options.public && session.token) {
      location.replace('#/');
      return;
    }
    current.view = view;
    highlightNav(path);
    const params = match.slice(1).map(decodeURIComponent);
    replace(main);
    window.scrollTo(0, 0);
    try {
      current.cleanup = await view(main, params, query, app);
    } catch (err) {
      replace(main, h('p', { class: 'error', role: 'alert' }, err.message || 'Something went wrong.'));
    }
    showBanner();
    return;
  }
  replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to your feed')));
}

function highlightNav(path) {
  const section = path === '/' ? 'home' : path.split('/')[1];
  for (const a of nav.querySelectorAll('a[data-nav]')) {
    const on = a.dataset.nav === section || (a.dataset.nav === 'search' && section === 'tag')
      || (a.dataset.nav === 'profile' && section === 'u' && session.user && path === `/u/${encodeURIComponent(session.user.username)}`);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

function showBadge() {
  badge.textContent = String(unread.size);
  badge.hidden = unread.size === 0;
  document.getElementById('nav-notifications').setAttribute('aria-label',
    unread.size ? `Notifications, ${unread.size} unread` : 'Notifications');
}

function showBanner() {
  const onFeed = current.view === feed.render;
  banner.hidden = !(onFeed && pendingPosts.length);
  document.getElementById('new-posts').textContent =
    pendingPosts.length === 1 ? 'Show 1 new post' : `Show ${pendingPosts.length} new posts`;
}

document.getElementById('new-posts').addEventListener('click', () => {
  window.dispatchEvent(new CustomEvent('raygram:show-new-posts'));
});
document.getElementById('logout').addEventListener('click', () => app.logOut());

live.addEventListener('feed.post', (e) => {
  const p = e.detail;
  if (document.querySelector(`.feed [data-post-id="${CSS.escape(p.id)}"]`)) return;   // shown already
  if (pendingPosts.some((x) => x.id === p.id)) return;
  pendingPosts.unshift(p);
  showBanner();
});
live.addEventListener('feed.update', (e) => {
  const p = e.detail;
  pendingPosts = pendingPosts.map((x) => (x.id === p.id ? p : x));
  updateCaption(p);
});
live.addEventListener('feed.delete', (e) => {
  const id = e.detail.post_id;
  pendingPosts = pendingPosts.filter((x) => x.id !== id);
  removePost(id);
  showBanner();
  window.dispatchEvent(new CustomEvent('raygram:post-deleted', { detail: id }));
});
live.addEventListener('post.failed', (e) => markFailed(e.detail.post_id, e.detail.failure));
live.addEventListener('notification', (e) => {
  const n = e.detail;
  if (!n.read) unread.add(n.id);
  showBadge();
  window.dispatchEvent(new CustomEvent('raygram:notification', { detail: n }));
});
live.addEventListener('resync', () => { refreshUnread(); });
live.addEventListener('ended', () => endSession());

async function refreshUnread() {
  try {
    const page = await get('/api/v1/notifications?limit=100');
    unread.clear();
    for (const n of page.items) if (!n.read) unread.add(n.id);
    showBadge();
  } catch { /* the badge stays as it was */ }
}

function startSession() {
  nav.hidden = false;
  refreshUnread();
  live.start();
  // The profile may have changed elsewhere (another tab, another device).
  get('/api/v1/me').then((user) => session.remember(user)).catch(() => {});
}

function endSession() {
  live.stop();
  session.clear();
  unread.clear();
  pendingPosts = [];
  showBadge();
  nav.hidden = true;
  location.hash = '#/login';
}

whenUnauthorized(() => { if (session.token) endSession(); });
window.addEventListener('hashchange', route);
if (session.token) startSession();
route();
