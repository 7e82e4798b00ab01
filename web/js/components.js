// Pieces shared by the screens: avatars, user rows, the post card with its carousel, grids.
import { call, explain, q } from './api.js';
import { h, plural, richText, timeAgo, toast } from './dom.js';
import { session } from './session.js';

export function avatar(user, size = 32) {
  const label = (user.display_name || user.username || '?').trim();
  if (user.avatar_url) {
    return h('img', { class: 'avatar', src: user.avatar_url, alt: '', width: size, height: size, loading: 'lazy' });
  }
  // No photo: the first letter on a colour derived from the username.
  let hue = 0;
  for (const ch of user.username || '') hue = (hue * 31 + ch.codePointAt(0)) % 360;
  const el = h('span', { class: 'avatar avatar-letter', 'aria-hidden': 'true', dataset: { hue: String(hue % 12) } },
    label.slice(0, 1).toUpperCase());
  el.style.setProperty('--size', `${size}px`);
  return el;
}

export function userLink(user, size = 32) {
  return h('a', { class: 'user-link', href: `#/u/${q(user.username)}` },
    avatar(user, size),
    h('span', { class: 'names' }, h('strong', {}, user.display_name || user.username), h('span', { class: 'muted' }, `@${user.username}`)));
}

export function userRow(user, ...actions) {
  return h('li', { class: 'user-row', dataset: { username: user.username } }, userLink(user, 40), h('span', { class: 'actions' }, actions));
}

// One media item. Photos get the variant that fits through srcset; `alt` is the author's text.
// Videos (type "video": `urls` are its poster's JPEG variants, `renditions` the MP4s, both empty
// while it is being transcoded) play in a <video> with controls and the poster.
export function mediaItem(m, { eager = false, failed = false } = {}) {
  if (m.type === 'video') {
    const poster = (m.urls && (m.urls.medium || m.urls.small)) || null;
    const renditions = m.renditions || [];
    const pick = (name) => renditions.find((r) => r.name === name);
    // The low rendition on narrow screens, else the high one.
    const chosen = (window.innerWidth < 700 && pick('low')) || pick('high') || renditions[0];
    if (!chosen) {
      return h('figure', { class: 'slide' },
        poster ? h('img', { src: poster, alt: m.alt || '' }) : null,
        h('figcaption', { class: 'processing' }, failed ? NOT_PROCESSED : 'Video processing…'));
    }
    return h('figure', { class: 'slide' },
      h('video', { controls: true, preload: 'metadata', poster, src: chosen.url, 'aria-label': m.alt || 'Video', playsInline: true,
        width: chosen.width, height: chosen.height }));
  }
  const urls = m.urls || {};
  const srcset = [urls.small && `${urls.small} 320w`, urls.medium && `${urls.medium} 1080w`].filter(Boolean).join(', ');
  const img = h('img', {
    src: urls.medium || urls.original, srcset: srcset || null, sizes: '(max-width: 640px) 100vw, 600px',
    alt: m.alt || '', width: m.width, height: m.height, loading: eager ? 'eager' : 'lazy', decoding: 'async',
  });
  return h('figure', { class: 'slide' }, img);
}

// Up to 10 items side by side with scroll snapping; buttons, dots and arrow keys move between them.
export function carousel(media, options = {}) {
  const track = h('div', { class: 'track', tabindex: media.length > 1 ? '0' : null, 'aria-label': media.length > 1 ? `${media.length} photos; use the arrow keys` : null },
    media.map((m, i) => mediaItem(m, { eager: options.eager && i === 0, failed: options.failed })));
  const root = h('div', { class: 'carousel', role: 'group', 'aria-roledescription': 'carousel' }, track);
  const first = media[0];
  if (first && first.width && first.height) {
    // CSSOM, not a style attribute: the CSP allows no inline styles.
    root.style.setProperty('--ratio', String(Math.min(1.91, Math.max(0.8, first.width / first.height))));
  }
  if (media.length < 2) return root;
  const counter = h('span', { class: 'counter', 'aria-live': 'polite' }, `1 / ${media.length}`);
  const dots = h('div', { class: 'dots', 'aria-hidden': 'true' }, media.map(() => h('span', { class: 'dot' })));
  const index = () => Math.round(track.scrollLeft / Math.max(1, track.clientWidth));
  const go = (i) => {
    const target = Math.max(0, Math.min(media.length - 1, i));
    track.scrollTo({ left: target * track.clientWidth, behavior: 'smooth' });
  };
  const prev = h('button', { type: 'button', class: 'nav-btn prev', 'aria-label': 'Previous photo', onclick: () => go(index() - 1) }, '‹');
  const next = h('button', { type: 'button', class: 'nav-btn next', 'aria-label': 'Next photo', onclick: () => go(index() + 1) }, '›');
  const update = () => {
    const i = index();
    counter.textContent = `${i + 1} / ${media.length}`;
    [...dots.children].forEach((d, j) => d.classList.toggle('on', j === i));
    prev.disabled = i === 0;
    next.disabled = i === media.length - 1;
  };
  track.addEventListener('scroll', () => requestAnimationFrame(update), { passive: true });
  track.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') { e.preventDefault(); go(index() - 1); }
    if (e.key === 'ArrowRight') { e.preventDefault(); go(index() + 1); }
  });
  root.append(prev, next, counter, dots);
  update();
  return root;
}

export function likeButton(post, onChange) {
  const button = h('button', { type: 'button', class: 'like', 'aria-pressed': String(post.liked_by_me) });
  const render = () => {
    button.setAttribute('aria-pressed', String(post.liked_by_me));
    button.textContent = post.liked_by_me ? '♥ Liked' : '♡ Like';
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const result = await call(post.liked_by_me ? 'DELETE' : 'PUT', `/api/v1/posts/${q(post.id)}/like`);
      post.liked_by_me = result.liked;
      post.like_count = result.like_count;
      render();
      onChange(post);
    } catch (err) {
      toast(explain(err));
    } finally {
      button.disabled = false;
    }
  });
  render();
  return button;
}

// A post as it appears in the feed, in search results and on its own page.
export function postCard(post, { full = false, onLikers = null } = {}) {
  const likes = h('span', { class: 'like-count' }, plural(post.like_count, 'like'));
  const likesEl = onLikers ? h('button', { type: 'button', class: 'link', onclick: () => onLikers(post) }, likes) : likes;
  const caption = captionEl(post);
  const card = h('article', { class: 'post', dataset: { postId: post.id }, 'aria-label': `Post by ${post.author.username}` },
    h('header', { class: 'post-head' }, userLink(post.author, 36),
      h('a', { class: 'muted when', href: `#/p/${q(post.id)}` }, h('time', { datetime: post.created_at }, timeAgo(post.created_at)))),
    carousel(post.media, { eager: full, failed: post.state === 'failed' }),
    post.state === 'failed' && post.failure ? failureNote(post.failure) : null,
    h('div', { class: 'post-actions' },
      likeButton(post, () => { likes.textContent = plural(post.like_count, 'like'); }),
      h('a', { class: 'button-like', href: `#/p/${q(post.id)}` }, 'Comment'),
      likesEl),
    caption,
    full ? null : h('a', { class: 'muted comments-link', href: `#/p/${q(post.id)}` },
      post.comment_count ? `View ${plural(post.comment_count, 'comment')}` : 'Add a comment'));
  return card;
}

function captionEl(post) {
  if (!post.caption) return null;
  return h('p', { class: 'caption' },
    h('a', { class: 'author-name', href: `#/u/${q(post.author.username)}` }, post.author.username), ' ', richText(post.caption),
    post.edited_at ? h('span', { class: 'muted edited', title: `Edited ${timeAgo(post.edited_at)}` }, ' · edited') : null);
}

// A post's caption was edited (by its author here, or the live feed.update event): every card
// of it on the screen shows the new one.
export function updateCaption(post) {
  for (const card of document.querySelectorAll(`article.post[data-post-id="${CSS.escape(post.id)}"]`)) {
    const old = card.querySelector('.caption');
    const fresh = captionEl(post);
    if (old && fresh) old.replaceWith(fresh);
    else if (old) old.remove();
    else if (fresh) card.querySelector('.post-actions').after(fresh);
  }
}

export function grid(posts) {
  return posts.map((p) => {
    const first = p.media[0] || {};
    const thumb = first.urls && first.urls.thumb;     // a video's thumb is its poster's
    return h('a', { class: 'tile', href: `#/p/${q(p.id)}`, dataset: { postId: p.id } },
      thumb ? h('img', { src: thumb, alt: first.alt || `Post by ${p.author.username}`, loading: 'lazy', width: 150, height: 150 }) : null,
      p.media.length > 1 ? h('span', { class: 'multi', 'aria-label': `${p.media.length} photos` }, '❐') : null);
  });
}

export function isMe(user) {
  const me = session.user;
  return Boolean(me && user && me.id === user.id);
}

const NOT_PROCESSED = 'Not processed';

function failureNote(failure) {
  return h('p', { class: 'failure', role: 'alert' }, `This video could not be processed: ${failure.message}`);
}

// A video post of ours failed while on screen (the live post.failed event): say so on every card
// of it, in place of "Video processing…".
export function markFailed(postId, failure) {
  for (const card of document.querySelectorAll(`article.post[data-post-id="${CSS.escape(postId)}"]`)) {
    for (const note of card.querySelectorAll('.processing')) note.textContent = NOT_PROCESSED;
    if (!card.querySelector('.failure')) card.querySelector('.carousel').after(failureNote(failure));
  }
}

// Removes a deleted post wherever it shows on the current screen.
export function removePost(postId) {
  for (const el of document.querySelectorAll(`[data-post-id="${CSS.escape(postId)}"]`)) el.remove();
}
