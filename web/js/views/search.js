// Search posts (caption words, #tags) and people, trending hashtags, and a hashtag's page.
import { explain, get, q, withQuery } from '../api.js';
import { endless, h, replace } from '../dom.js';
import { grid, userRow } from '../components.js';

export async function render(main, params, query) {
  const text = (query.get('q') || '').trim();
  const input = h('input', { type: 'search', name: 'q', value: text, placeholder: 'Search photos, #hashtags, people', 'aria-label': 'Search', autocomplete: 'off', autocapitalize: 'none' });
  const form = h('form', { class: 'search-form', role: 'search' }, input, h('button', { type: 'submit', class: 'primary' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    location.hash = value ? `#/search?q=${q(value)}` : '#/search';
  });
  main.append(h('h1', { class: 'visually-hidden' }, 'Search'), form);
  if (!text) {
    input.focus();
    main.append(await trending());
    return;
  }
  const people = h('ul', { class: 'users' });
  const tiles = h('div', { class: 'grid results', 'aria-label': 'Matching posts' });
  const peopleBox = h('section', { class: 'card', hidden: true }, h('h2', {}, 'People'), people);
  const postsBox = h('section', {}, h('h2', {}, text.startsWith('#') ? `Posts tagged ${text}` : 'Posts'), tiles);
  main.append(peopleBox, postsBox);

  const userQuery = text.replace(/^[@#]/, '');
  if (!text.startsWith('#') && userQuery) {
    get(withQuery('/api/v1/search/users', { q: userQuery, limit: 8 })).then((page) => {
      replace(people, page.items.map((u) => userRow(u)));
      peopleBox.hidden = page.items.length === 0;
    }).catch(() => {});
  }
  let cursor = null;
  let first = true;
  const loadMore = async () => {
    try {
      const page = await get(withQuery('/api/v1/search/posts', { q: text, limit: 24, cursor }));
      tiles.append(...grid(page.items));
      if (first && !page.items.length) tiles.after(h('p', { class: 'muted empty' }, `No posts match “${text}”.`));
      first = false;
      cursor = page.next_cursor;
    } catch (err) {
      tiles.after(h('p', { class: 'error', role: 'alert' }, explain(err)));
      return false;
    }
    return Boolean(cursor);
  };
  await loadMore();
  if (cursor) endless(tiles, loadMore);
}

async function trending() {
  const box = h('section', { class: 'card trending' }, h('h2', {}, 'Trending hashtags'));
  try {
    const { items } = await get('/api/v1/hashtags/trending');
    box.append(items.length
      ? h('ol', { class: 'tags' }, items.map((t) => h('li', {}, h('a', { href: `#/tag/${q(t.tag)}` }, `#${t.tag}`), h('span', { class: 'muted' }, ` ${t.posts} posts`))))
      : h('p', { class: 'muted' }, 'Nothing is trending right now.'));
  } catch (err) {
    box.append(h('p', { class: 'error' }, explain(err)));
  }
  return box;
}

export async function hashtag(main, [tag]) {
  const tiles = h('div', { class: 'grid', 'aria-label': `Posts tagged #${tag}` });
  main.append(h('h1', {}, `#${tag}`), tiles);
  let cursor = null;
  let first = true;
  const loadMore = async () => {
    try {
      const page = await get(withQuery(`/api/v1/hashtags/${q(tag)}/posts`, { limit: 24, cursor }));
      tiles.append(...grid(page.items));
      if (first && !page.items.length) tiles.after(h('p', { class: 'muted empty' }, 'No posts with this hashtag yet.'));
      first = false;
      cursor = page.next_cursor;
    } catch (err) {
      tiles.after(h('p', { class: 'error', role: 'alert' }, explain(err)));
      return false;
    }
    return Boolean(cursor);
  };
  await loadMore();
  if (cursor) endless(tiles, loadMore);
}
