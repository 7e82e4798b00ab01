// Where the bearer token lives: localStorage, under one key, on this origin only.
//
// The API authenticates with `Authorization: Bearer` and the live stream with `?token=` (a browser
// cannot set headers on a WebSocket), so the script must be able to read the token: an HttpOnly
// cookie would need cookie auth and CSRF defences the API does not have. localStorage keeps the
// person logged in across reloads and tabs, like the apps; what protects it is that no script but
// ours can run here (the Content-Security-Policy allows scripts from this origin only, and no user
// text is ever inserted as HTML). Logging out revokes the token on the server, then forgets it.

const TOKEN = 'raygram.token';
const USER = 'raygram.user';

export const session = {
  get token() { return localStorage.getItem(TOKEN); },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER) || 'null'); } catch { return null; }
  },
  save(token, user) {
    localStorage.setItem(TOKEN, token);
    this.remember(user);
  },
  remember(user) { localStorage.setItem(USER, JSON.stringify(user)); },
  clear() {
    const user = this.user;
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(USER);
    if (user) localStorage.removeItem(lastEventKey(user.id));
  },
  // The id of the last live event handled, per account: a reload resumes the stream after it.
  get lastEventId() {
    const user = this.user;
    return user ? localStorage.getItem(lastEventKey(user.id)) : null;
  },
  set lastEventId(id) {
    const user = this.user;
    if (user) localStorage.setItem(lastEventKey(user.id), id);
  },
};

function lastEventKey(userId) { return `raygram.last_event.${userId}`; }
