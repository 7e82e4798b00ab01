// Sign up and log in.
import { call, explain } from '../api.js';
import { h } from '../dom.js';

function form(main, { title, submit, fields, action, footer, app }) {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary' }, submit);
  const el = h('form', { class: 'card auth', novalidate: true },
    h('h1', {}, title), fields, error, button, footer);
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const { token, user } = await action(new FormData(el));
      app.signedIn(token, user);
    } catch (err) {
      error.textContent = explain(err);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  main.append(h('div', { class: 'center' }, el));
  el.querySelector('input').focus();
}

function field(label, attrs) {
  return h('label', { class: 'field' }, h('span', {}, label), h('input', attrs));
}

export function login(main, params, query, app) {
  form(main, {
    app, title: 'Log in', submit: 'Log in',
    fields: [
      field('Username', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' }),
      field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    ],
    action: (data) => call('POST', '/api/v1/sessions', { username: data.get('username').trim().toLowerCase(), password: data.get('password') }),
    footer: h('p', { class: 'muted' }, 'New here? ', h('a', { href: '#/signup' }, 'Create an account')),
  });
}

export function signup(main, params, query, app) {
  form(main, {
    app, title: 'Create your account', submit: 'Sign up',
    fields: [
      field('Username', { name: 'username', autocomplete: 'username', required: true, minlength: 3, maxlength: 30, pattern: '[a-z0-9_.]+', autocapitalize: 'none', spellcheck: 'false' }),
      h('p', { class: 'hint muted' }, '3–30 characters: lowercase letters, digits, _ and .'),
      field('Display name (optional)', { name: 'display_name', autocomplete: 'name', maxlength: 64 }),
      field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
      h('p', { class: 'hint muted' }, 'At least 8 characters.'),
    ],
    action: (data) => {
      const body = { username: data.get('username').trim().toLowerCase(), password: data.get('password') };
      const name = data.get('display_name').trim();
      if (name) body.display_name = name;
      return call('POST', '/api/v1/accounts', body);
    },
    footer: h('p', { class: 'muted' }, 'Have an account? ', h('a', { href: '#/login' }, 'Log in')),
  });
}
