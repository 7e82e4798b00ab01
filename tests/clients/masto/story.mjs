// The masto.js client (npm, unpatched) through a Raygram story on the Mastodon-compatible API.
// Run by tests/integration/test_mastodon_masto.py, which makes the two accounts and the photo and
// checks the JSON this prints: what each person saw.
//
//   RAYGRAM_MASTODON_URL, ADA_USER, ADA_PASS, BOB_USER, BOB_PASS, PHOTO (a JPEG's path), TAG
import { readFile } from 'node:fs/promises';
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from 'masto';

const env = process.env;
const url = env.RAYGRAM_MASTODON_URL;
const OOB = 'urn:ietf:wg:oauth:2.0:oob';
const SCOPES = 'read write follow';

function deadline(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref());
}

async function logIn(app, username, password) {
  const oauth = createOAuthAPIClient({ url });
  const token = await oauth.token.create({
    grantType: 'password', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: OOB,
    username, password, scope: SCOPES,
  });
  return { token: token.accessToken, rest: createRestAPIClient({ url, accessToken: token.accessToken }) };
}

// Search and hashtag timelines read Elasticsearch, which indexes a new post within a second or
// so: ask again until it shows, as a person pulling to refresh would.
async function eventually(read, test, what) {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (test(value)) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`never happened: ${what}`);
}

// Events of one subscription, collected as they arrive; `until` waits for one that matches.
function collect(subscription) {
  const events = [];
  const waiters = [];
  (async () => {
    for await (const event of subscription) {
      events.push(event);
      for (const w of waiters.splice(0)) if (!w.test(event)) waiters.push(w); else w.resolve(event);
    }
  })().catch(() => {});
  return {
    events,
    until(test, what, ms = 20000) {
      const found = events.find(test);
      if (found) return Promise.resolve(found);
      return Promise.race([new Promise((resolve) => waiters.push({ test, resolve })), deadline(ms, what)]);
    },
  };
}

const out = {};
const anonymous = createRestAPIClient({ url });
const instance = await anonymous.v2.instance.fetch();
out.instance = { version: instance.version, streaming: instance.configuration.urls.streaming };
const app = await anonymous.v1.apps.create({ clientName: 'raygram-masto', redirectUris: OOB, scopes: SCOPES });

const ada = await logIn(app, env.ADA_USER, env.ADA_PASS);
const bob = await logIn(app, env.BOB_USER, env.BOB_PASS);
const adaAccount = await ada.rest.v1.accounts.verifyCredentials();
out.verified = adaAccount.username;

// Ada posts a photo with a description; Bob follows her and sees it.
const photo = new Blob([await readFile(env.PHOTO)], { type: 'image/jpeg' });
const media = await ada.rest.v2.media.create({ file: photo, description: 'red and blue' });
const first = await ada.rest.v1.statuses.create({ status: `masto was here #${env.TAG}`, mediaIds: [media.id] });
out.posted = { id: first.id, media: first.mediaAttachments.map((m) => [m.type, m.description, Boolean(m.url)]) };
await bob.rest.v1.accounts.$select(adaAccount.id).follow();
const home = await bob.rest.v1.timelines.home.list({ limit: 20 });
const tagged = await eventually(() => bob.rest.v1.timelines.tag.$select(env.TAG).list(),
  (list) => list.some((s) => s.id === first.id), 'the post in its hashtag timeline');
out.home = home.map((s) => s.id);
out.tag = tagged.map((s) => s.id);

// Bob likes it and replies; Ada is notified of both.
await bob.rest.v1.statuses.$select(first.id).favourite();
const reply = await bob.rest.v1.statuses.create({ status: 'nice colours', inReplyToId: first.id });
out.reply = { id: reply.id, inReplyToId: reply.inReplyToId };
const notes = await ada.rest.v1.notifications.list();
out.notifications = notes.map((n) => [n.type, n.account.username, n.status ? n.status.id : null]);
const context = await ada.rest.v1.statuses.$select(first.id).context.fetch();
out.context = context.descendants.map((s) => s.id);

const found = await eventually(() => bob.rest.v2.search.list({ q: `#${env.TAG}` }),
  (r) => r.statuses.some((s) => s.id === first.id), 'the post in search');
out.search = { hashtags: found.hashtags.map((t) => t.name), statuses: found.statuses.map((s) => s.id) };

// Live: Bob's user stream (a WebSocket, the token as its protocol) receives Ada's next post, then
// its deletion.
const streaming = createStreamingAPIClient({ streamingApiUrl: instance.configuration.urls.streaming,
  accessToken: bob.token, retry: false });
const live = collect(streaming.user.subscribe());
let second;
// The subscription is sent once the socket opens: post until the stream has seen one (at most a
// few tries), as an app would not miss it either once connected.
for (let attempt = 0; attempt < 10 && !second; attempt++) {
  const candidate = await ada.rest.v1.statuses.create({ status: `live from masto ${attempt} #${env.TAG}`,
    mediaIds: [(await ada.rest.v2.media.create({ file: photo })).id] });
  try {
    await live.until((e) => e.event === 'update' && e.payload.id === candidate.id, 'the live update', 5000);
    second = candidate;
  } catch { /* not connected yet: another post */ }
}
out.live = live.events.filter((e) => e.event === 'update').map((e) => e.payload.id);
out.second = second ? second.id : null;

// Paging as apps do: the paginator follows the Link header, one status per page, to the end.
out.homeNow = (await bob.rest.v1.timelines.home.list({ limit: 20 })).map((s) => s.id);
const pages = [];
for await (const page of bob.rest.v1.timelines.home.list({ limit: 1 })) {
  pages.push(page.map((s) => s.id));
  if (pages.length > 20) break;
}
out.pages = pages;

await ada.rest.v1.statuses.$select(second.id).remove();
const deleted = await live.until((e) => e.event === 'delete' && e.payload === second.id, 'the live delete');
out.deleted = deleted.payload;
streaming.close();
const gone = await bob.rest.v1.statuses.$select(second.id).fetch().then(() => 'still there', (e) => e.statusCode);
out.gone = gone;

console.log(JSON.stringify(out));
process.exit(0);
