// One post: carousel, likes and who liked, comments to add and delete; for its author, edit the
// caption and delete.
import { call, explain, get, q, withQuery } from '../api.js';
import { h, plural, replace, timeAgo, toast } from '../dom.js';
import { isMe, postCard, updateCaption, userLink, userRow } from '../components.js';
import { session } from '../session.js';

export async function render(main, [postId]) {
  let post;
  try {
    post = await get(`/api/v1/posts/${q(postId)}`);
  } catch (err) {
    main.append(h('div', { class: 'card empty' }, h('h1', {}, 'Post not available'), h('p', {}, explain(err))));
    return;
  }
  const card = postCard(post, { full: true, onLikers: showLikers });
  card.classList.add('post-full');
  const comments = h('ul', { class: 'comments', 'aria-label': 'Comments' });
  const count = h('h2', { class: 'small-title' }, plural(post.comment_count, 'comment'));
  const mine = isMe(post.author);
  const canDelete = (c) => mine || isMe(c.author);

  const commentEl = (c) => h('li', { class: 'comment', dataset: { commentId: c.id } },
    userLink(c.author, 28),
    h('p', { class: 'comment-text' }, c.text),
    h('span', { class: 'muted' }, h('time', { datetime: c.created_at }, timeAgo(c.created_at))),
    canDelete(c) ? h('button', { type: 'button', class: 'link danger', 'aria-label': `Delete comment by ${c.author.username}`, onclick: async (e) => {
      e.target.disabled = true;
      try {
        await call('DELETE', `/api/v1/posts/${q(post.id)}/comments/${q(c.id)}`);
        e.target.closest('li').remove();
        post.comment_count -= 1;
        count.textContent = plural(post.comment_count, 'comment');
      } catch (err) {
        e.target.disabled = false;
        toast(explain(err));
      }
    } }, 'Delete') : null);

  let cursor = null;
  const more = h('button', { type: 'button', class: 'more', hidden: true }, 'Older comments…');
  const loadComments = async () => {
    const page = await get(withQuery(`/api/v1/posts/${q(post.id)}/comments`, { limit: 50, cursor }));
    comments.append(...page.items.map(commentEl));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => loadComments().catch((err) => toast(explain(err))));

  const text = h('textarea', { name: 'text', rows: 2, maxlength: 2200, required: true, 'aria-label': 'Add a comment', placeholder: 'Add a comment…' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Post');
  const form = h('form', { class: 'comment-form' }, text, send);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    send.disabled = true;
    try {
      const c = await call('POST', `/api/v1/posts/${q(post.id)}/comments`, { text: text.value });
      comments.append(commentEl(c));
      post.comment_count += 1;
      count.textContent = plural(post.comment_count, 'comment');
      text.value = '';
    } catch (err) {
      toast(explain(err));
    } finally {
      send.disabled = false;
    }
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });

  const remove = mine ? h('button', { type: 'button', class: 'danger', onclick: async (e) => {
    if (!window.confirm('Delete this post?')) return;
    e.target.disabled = true;
    try {
      await call('DELETE', `/api/v1/posts/${q(post.id)}`);
      toast('Post deleted.');
      location.hash = `#/u/${q(session.user.username)}`;
    } catch (err) {
      e.target.disabled = false;
      toast(explain(err));
    }
  } }, 'Delete post') : null;

  const edit = mine ? h('button', { type: 'button', class: 'edit-caption', onclick: () => editCaption(post) }, 'Edit caption') : null;

  main.append(h('div', { class: 'post-page' }, card,
    h('section', { class: 'card discussion' }, count, more, comments, form, h('div', { class: 'post-menu' }, edit, remove))));
  await loadComments();

  const deleted = (e) => {
    if (e.detail === post.id) replace(main, h('div', { class: 'card empty' }, h('h1', {}, 'This post was deleted.')));
  };
  window.addEventListener('raygram:post-deleted', deleted);
  return () => window.removeEventListener('raygram:post-deleted', deleted);
}

// Who liked a post, in a dialog.
export async function showLikers(post) {
  const list = h('ul', { class: 'users' });
  const close = h('button', { type: 'button', class: 'link', 'aria-label': 'Close' }, 'Close');
  const dialog = h('dialog', { class: 'likers', 'aria-label': 'Liked by' }, h('header', {}, h('h2', {}, 'Liked by'), close), list);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  try {
    const page = await get(`/api/v1/posts/${q(post.id)}/likes?limit=100`);
    list.append(...page.items.map((u) => userRow(u)));
    if (!page.items.length) list.append(h('li', { class: 'muted' }, 'No likes yet.'));
  } catch (err) {
    list.append(h('li', { class: 'error' }, explain(err)));
  }
}

// The author edits the caption, in a dialog.
function editCaption(post) {
  const text = h('textarea', { name: 'caption', rows: 4, maxlength: 2200, 'aria-label': 'Caption', value: post.caption });
  text.value = post.caption;
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'link' }, 'Cancel');
  const form = h('form', { method: 'dialog', class: 'edit-caption-form' }, text, error, h('div', { class: 'actions' }, cancel, save));
  const dialog = h('dialog', { class: 'edit-caption', 'aria-label': 'Edit caption' }, h('header', {}, h('h2', {}, 'Edit caption')), form);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    error.hidden = true;
    try {
      const edited = await call('PATCH', `/api/v1/posts/${q(post.id)}`, { caption: text.value });
      Object.assign(post, { caption: edited.caption, hashtags: edited.hashtags, edited_at: edited.edited_at });
      updateCaption(post);
      toast('Caption updated.');
      dialog.close();
    } catch (err) {
      error.textContent = explain(err);
      error.hidden = false;
    } finally {
      save.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  text.focus();
}
