// Settings: display name, bio, private account, profile photo; blocked and muted accounts;
// logging out; deleting the account.
import { call, explain, upload } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { avatar } from '../components.js';
import { session } from '../session.js';

export async function render(main, params, query, app) {
  const me = await call('GET', '/api/v1/me');
  session.remember(me);

  // Profile photo.
  const photo = h('div', { class: 'avatar-big' }, avatar(me, 96));
  const file = h('input', { type: 'file', id: 'avatar-input', accept: 'image/jpeg,image/png,image/gif', class: 'visually-hidden' });
  const choose = h('label', { for: 'avatar-input', class: 'button-like', tabindex: '0' }, 'Change photo');
  choose.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); file.click(); } });
  const removePhoto = h('button', { type: 'button', class: 'link danger', hidden: !me.avatar_url }, 'Remove photo');
  const photoProgress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Photo upload progress' });
  const photoError = h('p', { class: 'error', role: 'alert', hidden: true });
  const showPhoto = (user) => {
    session.remember(user);
    replace(photo, avatar(user, 96));
    removePhoto.hidden = !user.avatar_url;
  };
  file.addEventListener('change', async () => {
    const chosen = file.files[0];
    file.value = '';
    if (!chosen) return;
    photoError.hidden = true;
    if (chosen.size > 10 * 1024 * 1024) {
      photoError.textContent = 'A profile photo may be at most 10 MB.';
      photoError.hidden = false;
      return;
    }
    const data = new FormData();
    data.append('avatar', chosen, chosen.name);
    photoProgress.hidden = false;
    try {
      showPhoto(await upload('PUT', '/api/v1/me/avatar', data, (f) => { photoProgress.value = Math.round(f * 100); }));
      toast('Profile photo updated.');
    } catch (err) {
      photoError.textContent = explain(err);
      photoError.hidden = false;
    } finally {
      photoProgress.hidden = true;
    }
  });
  removePhoto.addEventListener('click', async () => {
    try {
      await call('DELETE', '/api/v1/me/avatar');
      showPhoto(await call('GET', '/api/v1/me'));
      toast('Profile photo removed.');
    } catch (err) {
      toast(explain(err));
    }
  });

  // Profile fields.
  const name = h('input', { name: 'display_name', value: me.display_name, maxlength: 64, required: true, autocomplete: 'name' });
  const bio = h('textarea', { name: 'bio', rows: 3, maxlength: 150, value: me.bio });
  const isPrivate = h('input', { type: 'checkbox', name: 'private', checked: me.private });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h('form', { class: 'card settings' },
    h('h2', {}, 'Profile'),
    h('label', { class: 'field' }, h('span', {}, 'Display name'), name),
    h('label', { class: 'field' }, h('span', {}, 'Bio'), bio),
    h('label', { class: 'check' }, isPrivate, h('span', {}, 'Private account: only followers you approve see your posts')),
    error, save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    save.disabled = true;
    try {
      const user = await call('PATCH', '/api/v1/me', { display_name: name.value, bio: bio.value, private: isPrivate.checked });
      session.remember(user);
      toast('Saved.');
      form.dataset.saved = String(Date.now());
    } catch (err) {
      error.textContent = explain(err);
      error.hidden = false;
    } finally {
      save.disabled = false;
    }
  });

  // Deleting the account: the password confirms it.
  const password = h('input', { type: 'password', name: 'delete_password', autocomplete: 'current-password', required: true, 'aria-label': 'Password' });
  const deleteError = h('p', { class: 'error', role: 'alert', hidden: true });
  const deleteButton = h('button', { type: 'submit', class: 'danger' }, 'Delete account');
  const deleteForm = h('form', { class: 'card delete-account' }, h('h2', {}, 'Delete account'),
    h('p', { class: 'muted' }, 'Your profile, posts, photos, comments and likes are erased; your username cannot be taken for 30 days.'),
    h('label', { class: 'field' }, h('span', {}, 'Password'), password), deleteError, deleteButton);
  deleteForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!window.confirm('Delete your account and everything in it? This cannot be undone.')) return;
    deleteButton.disabled = true;
    deleteError.hidden = true;
    try {
      await call('DELETE', '/api/v1/me', { password: password.value });
      toast('Your account was deleted.');
      app.endSession();
    } catch (err) {
      deleteError.textContent = explain(err);
      deleteError.hidden = false;
      deleteButton.disabled = false;
    }
  });

  main.append(h('h1', {}, 'Settings'),
    h('section', { class: 'card photo-settings' }, h('h2', {}, 'Profile photo'), photo, file, choose, removePhoto, photoProgress, photoError),
    form,
    await hiddenAccounts(),
    h('section', { class: 'card' }, h('h2', {}, 'Session'),
      h('p', { class: 'muted' }, `Logged in as @${me.username}.`),
      h('button', { type: 'button', class: 'danger', onclick: () => app.logOut() }, 'Log out')),
    deleteForm);
}

// Those the account blocks and mutes, each with its undo.
async function hiddenAccounts() {
  const section = h('section', { class: 'card hidden-accounts' }, h('h2', {}, 'Blocked and muted'));
  for (const [which, undo, label] of [['blocks', 'block', 'Unblock'], ['mutes', 'mute', 'Unmute']]) {
    try {
      const page = await call('GET', `/api/v1/me/${which}?limit=100`);
      const list = h('ul', { class: `users ${which}`, 'aria-label': which === 'blocks' ? 'Blocked' : 'Muted' });
      if (page.items.length) section.append(list);
      for (const u of page.items) {
        const button = h('button', { type: 'button', class: 'link' }, label);
        const row = h('li', { dataset: { username: u.username } }, `@${u.username} `, button);
        button.addEventListener('click', async () => {
          button.disabled = true;
          try {
            await call('DELETE', `/api/v1/users/${encodeURIComponent(u.username)}/${undo}`);
            row.remove();
          } catch (err) {
            button.disabled = false;
            toast(explain(err));
          }
        });
        list.append(row);
      }
    } catch (err) {
      section.append(h('p', { class: 'error' }, explain(err)));
    }
  }
  if (section.children.length === 1) section.append(h('p', { class: 'muted' }, 'Nobody.'));
  return section;
}
