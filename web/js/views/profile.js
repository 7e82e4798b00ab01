// A profile: photo, names, bio, counts, follow / unfollow / requested, and the grid of posts
// (a private account's grid only for its approved followers); mute and block for others.
import { call, explain, get, q, withQuery } from '../api.js';
import { endless, h, plural, replace, toast } from '../dom.js';
import { avatar, grid, isMe, userRow } from '../components.js';
import { session } from '../session.js';

export async function render(main, [username]) {
  let user;
  try {
    user = await get(`/api/v1/users/${q(username)}`);
  } catch (err) {
    main.append(h('div', { class: 'card empty' }, h('h1', {}, 'No such account'), h('p', {}, explain(err))));
    return;
  }
  const me = isMe(user);
  if (me) session.remember(user);
  const rel = user.relationship || { following: false, requested: false, followed_by: false };
  const canSee = me || !user.private || rel.following;

  const followers = h('strong', {}, String(user.followers_count));
  const stats = h('ul', { class: 'stats' },
    h('li', {}, h('strong', {}, String(user.posts_count)), ' posts'),
    h('li', {}, canSee ? h('button', { type: 'button', class: 'link', onclick: () => showList(user, 'followers') }, followers, ' followers') : [followers, ' followers']),
    h('li', {}, canSee ? h('button', { type: 'button', class: 'link', onclick: () => showList(user, 'following') }, h('strong', {}, String(user.following_count)), ' following')
      : [h('strong', {}, String(user.following_count)), ' following']));

  let action = null;
  if (me) {
    action = h('a', { class: 'button-like', href: '#/settings' }, 'Edit profile');
  } else {
    action = followButton(user, rel, (state) => {
      // Approved followers of a private account see its posts once the page reloads.
      if (state === 'following' && user.private) window.dispatchEvent(new HashChangeEvent('hashchange'));
      followers.textContent = String(user.followers_count + (state === 'following' ? 1 : 0) - (rel.following ? 1 : 0));
    });
  }

  main.append(h('section', { class: 'profile-head' },
    avatar(user, 96),
    h('div', { class: 'profile-info' },
      h('h1', {}, user.display_name, user.private ? h('span', { class: 'pill' }, 'Private') : null),
      h('p', { class: 'muted' }, `@${user.username}`, rel.followed_by ? h('span', { class: 'pill' }, 'Follows you') : null),
      user.bio ? h('p', { class: 'bio' }, user.bio) : null,
      stats,
      action,
      me ? null : profileMenu(main, user, rel))));

  if (!canSee) {
    main.append(h('div', { class: 'card empty private-note' }, h('h2', {}, 'This account is private'),
      h('p', {}, 'Follow this account to see their photos.')));
    return;
  }
  const tiles = h('div', { class: 'grid', 'aria-label': 'Posts' });
  main.append(tiles);
  let cursor = null;
  let first = true;
  const loadMore = async () => {
    try {
      const page = await get(withQuery(`/api/v1/users/${q(user.username)}/posts`, { limit: 24, cursor }));
      tiles.append(...grid(page.items));
      if (first && !page.items.length) tiles.after(h('p', { class: 'muted empty' }, me ? 'Share your first photo from “New post”.' : 'No posts yet.'));
      first = false;
      cursor = page.next_cursor;
    } catch (err) {
      tiles.after(h('p', { class: 'error' }, explain(err)));
      return false;
    }
    return Boolean(cursor);
  };
  await loadMore();
  if (cursor) endless(tiles, loadMore);
}

// Block and mute (a block hides each from the other: the page gives way to a note with Unblock).
function profileMenu(main, user, rel) {
  let muting = Boolean(rel.muting);
  const mute = h('button', { type: 'button', class: 'link mute' });
  const showMute = () => {
    mute.textContent = muting ? 'Unmute' : 'Mute';
    mute.setAttribute('aria-pressed', String(muting));
  };
  mute.addEventListener('click', async () => {
    mute.disabled = true;
    try {
      await call(muting ? 'DELETE' : 'PUT', `/api/v1/users/${q(user.username)}/mute`);
      muting = !muting;
      showMute();
      toast(muting ? `Muted @${user.username}: their posts leave your feed.` : `Unmuted @${user.username}.`);
    } catch (err) {
      toast(explain(err));
    } finally {
      mute.disabled = false;
    }
  });
  showMute();
  const block = h('button', { type: 'button', class: 'link danger block' }, 'Block');
  block.addEventListener('click', async () => {
    if (!window.confirm(`Block @${user.username}? Neither of you will see the other, and follows both ways end.`)) return;
    block.disabled = true;
    try {
      await call('PUT', `/api/v1/users/${q(user.username)}/block`);
      replace(main, blockedNote(user));
    } catch (err) {
      block.disabled = false;
      toast(explain(err));
    }
  });
  return h('div', { class: 'profile-menu', role: 'group', 'aria-label': 'More' }, mute, block);
}

function blockedNote(user) {
  const unblock = h('button', { type: 'button', class: 'unblock' }, 'Unblock');
  const note = h('div', { class: 'card empty blocked-note' }, h('h1', {}, `You blocked @${user.username}`),
    h('p', {}, 'You do not see each other’s profiles or posts.'), unblock);
  unblock.addEventListener('click', async () => {
    unblock.disabled = true;
    try {
      await call('DELETE', `/api/v1/users/${q(user.username)}/block`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (err) {
      unblock.disabled = false;
      toast(explain(err));
    }
  });
  return note;
}

function followButton(user, rel, changed) {
  let state = rel.following ? 'following' : rel.requested ? 'requested' : 'none';
  const button = h('button', { type: 'button', class: 'follow' });
  const show = () => {
    button.textContent = { following: 'Following', requested: 'Requested', none: user.private ? 'Request to follow' : 'Follow' }[state];
    button.classList.toggle('primary', state === 'none');
    button.setAttribute('aria-pressed', String(state !== 'none'));
    button.title = state === 'none' ? '' : state === 'requested' ? 'Withdraw the request' : 'Unfollow';
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      if (state === 'none') {
        state = (await call('PUT', `/api/v1/users/${q(user.username)}/follow`)).state;
      } else {
        await call('DELETE', `/api/v1/users/${q(user.username)}/follow`);
        state = 'none';
      }
      show();
      changed(state);
    } catch (err) {
      toast(explain(err));
    } finally {
      button.disabled = false;
    }
  });
  show();
  return button;
}

async function showList(user, which) {
  const list = h('ul', { class: 'users' });
  const close = h('button', { type: 'button', class: 'link' }, 'Close');
  const title = which === 'followers' ? 'Followers' : 'Following';
  const dialog = h('dialog', { class: 'likers', 'aria-label': title }, h('header', {}, h('h2', {}, title), close), list);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  try {
    const page = await get(`/api/v1/users/${q(user.username)}/${which}?limit=100`);
    replace(list, page.items.length ? page.items.map((u) => userRow(u)) : h('li', { class: 'muted' }, 'Nobody yet.'));
  } catch (err) {
    replace(list, h('li', { class: 'error' }, explain(err)));
  }
}
