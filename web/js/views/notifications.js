// Follow requests to accept or reject, then notifications (newest first, marked read on view).
import { call, explain, get, q, withQuery } from '../api.js';
import { endless, h, replace, timeAgo, toast } from '../dom.js';
import { avatar, userRow } from '../components.js';

const WHAT = {
  like: 'liked your post',
  comment: 'commented on your post',
  follow: 'started following you',
  follow_request: 'asked to follow you',
  follow_accept: 'accepted your follow request',
};

function entry(n) {
  const target = n.post_id ? `#/p/${q(n.post_id)}` : `#/u/${q(n.actor.username)}`;
  return h('li', { class: `notification${n.read ? '' : ' unread'}`, dataset: { notificationId: n.id, type: n.type } },
    h('a', { href: target },
      avatar(n.actor, 36),
      h('span', {}, h('strong', {}, n.actor.username), ' ', WHAT[n.type] || n.type),
      h('time', { class: 'muted', datetime: n.created_at }, timeAgo(n.created_at))));
}

export async function render(main, params, query, app) {
  const requests = h('ul', { class: 'users requests', 'aria-label': 'Follow requests' });
  const requestsBox = h('section', { class: 'card', hidden: true }, h('h2', {}, 'Follow requests'), requests);
  const list = h('ul', { class: 'notifications', 'aria-label': 'Notifications' });
  main.append(h('h1', {}, 'Notifications'), requestsBox, h('section', { class: 'card' }, list));

  const loadRequests = async () => {
    const page = await get('/api/v1/me/follow-requests?limit=100');
    replace(requests, page.items.map((u) => userRow(u,
      h('button', { type: 'button', class: 'primary', onclick: (e) => decide(e, u, 'accept') }, 'Accept'),
      h('button', { type: 'button', onclick: (e) => decide(e, u, 'reject') }, 'Reject'))));
    requestsBox.hidden = page.items.length === 0;
  };
  const decide = async (e, user, verdict) => {
    const row = e.target.closest('li');
    row.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      await call('POST', `/api/v1/me/follow-requests/${q(user.username)}/${verdict}`);
      row.remove();
      requestsBox.hidden = requests.children.length === 0;
      toast(verdict === 'accept' ? `${user.username} now follows you.` : `Request from ${user.username} declined.`);
    } catch (err) {
      row.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      toast(explain(err));
    }
  };

  let cursor = null;
  let newest = null;
  const loadMore = async () => {
    try {
      const page = await get(withQuery('/api/v1/notifications', { limit: 30, cursor }));
      if (newest === null && page.items.length) newest = page.items[0].id;
      list.append(...page.items.map(entry));
      if (!list.children.length) list.append(h('li', { class: 'muted empty' }, 'Nothing yet.'));
      cursor = page.next_cursor;
    } catch (err) {
      list.append(h('li', { class: 'error' }, explain(err)));
      return false;
    }
    return Boolean(cursor);
  };
  await Promise.all([loadRequests().catch((err) => toast(explain(err))), loadMore()]);
  if (cursor) endless(list, loadMore);
  const markRead = async (upTo) => {
    if (!upTo) return;
    try {
      await call('POST', '/api/v1/notifications/read', { up_to: upTo });
      app.clearUnread();
    } catch { /* stays unread; the badge says so */ }
  };
  markRead(newest);

  // New ones arrive live while the page is open.
  const arrived = (e) => {
    const n = e.detail;
    list.querySelector('.empty')?.remove();
    if (!list.querySelector(`[data-notification-id="${CSS.escape(n.id)}"]`)) list.prepend(entry(n));
    if (n.type === 'follow_request') loadRequests().catch(() => {});
    markRead(n.id);
  };
  window.addEventListener('raygram:notification', arrived);
  return () => window.removeEventListener('raygram:notification', arrived);
}
