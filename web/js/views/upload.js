// A new post: up to 10 photos previewed in a carousel, alt text per photo, a caption, progress,
// and the API's refusals (quota, size, type) in words.
import { explain, upload } from '../api.js';
import { h, replace } from '../dom.js';

const MAX_FILES = 10;
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const MAX_VIDEO_BYTES = 100 * 1024 * 1024;
const PHOTOS = ['image/jpeg', 'image/png', 'image/gif'];
const VIDEOS = ['video/mp4', 'video/quicktime', 'video/webm'];
const TYPES = [...PHOTOS, ...VIDEOS];

export function render(main) {
  let items = [];                      // {file, url, alt}
  const input = h('input', { type: 'file', id: 'media-input', accept: TYPES.join(','), multiple: true, class: 'visually-hidden' });
  const pick = h('label', { for: 'media-input', class: 'button-like drop', tabindex: '0' }, 'Choose photos or videos (up to 10)');
  pick.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
  const previews = h('ol', { class: 'previews', 'aria-label': 'Chosen photos' });
  const caption = h('textarea', { name: 'caption', rows: 3, maxlength: 2200, placeholder: 'Write a caption… #hashtags welcome', 'aria-label': 'Caption' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const share = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Share');
  const form = h('form', { class: 'card upload' }, h('h1', {}, 'New post'), input, pick, previews, caption, error, progress, status, share);
  main.append(form);

  const fail = (message) => { error.textContent = message; error.hidden = !message; };

  const draw = () => {
    replace(previews, items.map((item, i) => h('li', { class: 'preview' },
      item.video
        ? h('video', { src: item.url, muted: true, controls: true, preload: 'metadata', 'aria-label': item.alt || `Video ${i + 1}` })
        : h('img', { src: item.url, alt: item.alt || `Photo ${i + 1} (no description yet)` }),
      h('label', { class: 'field' }, h('span', {}, `Alt text for photo ${i + 1}`),
        h('input', { type: 'text', maxlength: 1000, value: item.alt, name: 'alt', placeholder: 'Describe this photo for people who cannot see it',
          oninput: (e) => { item.alt = e.target.value; } })),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'link', disabled: i === 0, 'aria-label': `Move photo ${i + 1} earlier`, onclick: () => { [items[i - 1], items[i]] = [items[i], items[i - 1]]; draw(); } }, '← Earlier'),
        h('button', { type: 'button', class: 'link danger', 'aria-label': `Remove photo ${i + 1}`, onclick: () => { URL.revokeObjectURL(item.url); items.splice(i, 1); draw(); } }, 'Remove')))));
    share.disabled = items.length === 0;
    pick.textContent = items.length ? `Add more (${items.length} of ${MAX_FILES})` : 'Choose photos or videos (up to 10)';
  };

  input.addEventListener('change', () => {
    const problems = [];
    for (const file of input.files) {
      if (items.length >= MAX_FILES) { problems.push(`A post has at most ${MAX_FILES} photos; ${file.name} was left out.`); continue; }
      if (!TYPES.includes(file.type)) { problems.push(`${file.name}: only JPEG, PNG or GIF photos and MP4, MOV or WebM videos can be posted.`); continue; }
      const video = VIDEOS.includes(file.type);
      const limit = video ? MAX_VIDEO_BYTES : MAX_PHOTO_BYTES;
      if (file.size > limit) { problems.push(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; each ${video ? 'video' : 'photo'} may be at most ${limit / 1048576} MB.`); continue; }
      items.push({ file, url: URL.createObjectURL(file), alt: '', video });
    }
    input.value = '';
    fail(problems.join(' '));
    draw();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!items.length) return;
    fail('');
    const data = new FormData();
    data.append('caption', caption.value);
    for (const item of items) data.append('media', item.file, item.file.name);
    for (const item of items) data.append('alt', item.alt.trim());
    share.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    status.textContent = 'Uploading…';
    try {
      const post = await upload('POST', '/api/v1/posts', data, (fraction) => {
        progress.value = Math.round(fraction * 100);
        status.textContent = fraction < 1 ? `Uploading… ${Math.round(fraction * 100)}%` : 'Processing…';
      });
      items.forEach((item) => URL.revokeObjectURL(item.url));
      items = [];
      location.hash = `#/p/${encodeURIComponent(post.id)}`;
    } catch (err) {
      fail(explain(err));
      status.textContent = '';
      progress.hidden = true;
      share.disabled = false;
    }
  });
  return () => items.forEach((item) => URL.revokeObjectURL(item.url));
}
