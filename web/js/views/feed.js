// The home feed: ranked or recent, endless scroll with the API's cursor, live posts behind a banner.
import { get, explain, withQuery } from '../api.js';
import { endless, h } from '../dom.js';
import { postCard } from '../components.js';
import { showLikers } from './post.js';

export async function render(main, params, query, app) {
  const order = query.get('order') === 'recent' ? 'recent' : 'ranked';
  const list = h('div', { class: 'feed', 'aria-live': 'polite' });
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Feed order' },
    ['ranked', 'recent'].map((o) => h('a', {
      role: 'tab', href: o === 'ranked' ? '#/' : '#/?order=recent', 'aria-selected': String(o === order),
    }, o === 'ranked' ? 'For you' : 'Recent')));
  main.append(h('h1', { class: 'visually-hidden' }, 'Home feed'), tabs, list);

  const card = (p) => postCard(p, { onLikers: showLikers });
  let cursor = null;
  let first = true;
  const loadMore = async () => {
    let page;
    try {
      page = await get(withQuery('/api/v1/feed', { order, limit: 10, cursor }));
    } catch (err) {
      list.append(h('p', { class: 'error', role: 'alert' }, explain(err)));
      return false;
    }
    for (const p of page.items) {
      if (!list.querySelector(`[data-post-id="${CSS.escape(p.id)}"]`)) list.append(card(p));
    }
    if (first && !page.items.length) {
      list.append(h('div', { class: 'empty card' }, h('p', {}, 'Your feed is empty.'),
        h('p', {}, h('a', { href: '#/search' }, 'Find people to follow'), ' or ', h('a', { href: '#/new' }, 'share your first photo'), '.')));
    }
    if (first) {
      list.dataset.ready = 'true';
      performance.mark('raygram:feed-rendered');   // time to first feed render (bench/web_client.py)
    }
    first = false;
    cursor = page.next_cursor;
    return Boolean(cursor);
  };
  await loadMore();
  if (cursor) endless(list, loadMore);

  const showNew = () => {
    const fresh = app.takePendingPosts();
    list.querySelector('.empty')?.remove();
    for (const p of fresh.reverse()) {
      if (!list.querySelector(`[data-post-id="${CSS.escape(p.id)}"]`)) list.prepend(card(p));
    }
    window.scrollTo({ top: 0, behavior: 'smooth' });
    list.firstElementChild?.querySelector('a')?.focus({ preventScroll: true });
  };
  window.addEventListener('raygram:show-new-posts', showNew);
  return () => window.removeEventListener('raygram:show-new-posts', showNew);
}
