// The live stream: /api/v1/stream on this origin, resumed after the last event handled
// (?last_event_id=), across reconnects and reloads (the id is kept per account, see session.js).
import { session } from './session.js';

const SESSION_ENDED = 4001;
const PING_EVERY_MS = 25000;

export class LiveStream extends EventTarget {
  constructor() {
    super();
    this.socket = null;
    this.retryMs = 1000;
    this.stopped = true;
    this.timer = null;
    this.pinger = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  connect() {
    if (this.stopped || !session.token) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const params = new URLSearchParams({ token: session.token });
    const last = session.lastEventId;
    if (last) params.set('last_event_id', last);
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream?${params}`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = 1000;
      this.dispatchEvent(new CustomEvent('status', { detail: 'open' }));
      clearInterval(this.pinger);
      this.pinger = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'ping' }));
      }, PING_EVERY_MS);
    });
    socket.addEventListener('message', (message) => this.receive(message.data));
    socket.addEventListener('close', (event) => {
      clearInterval(this.pinger);
      if (this.socket !== socket) return;
      this.socket = null;
      this.dispatchEvent(new CustomEvent('status', { detail: 'closed' }));
      if (event.code === SESSION_ENDED) {
        this.dispatchEvent(new CustomEvent('ended'));
        return;
      }
      if (!this.stopped) {
        // Backoff with jitter, so a restarted gateway is not met by every client at once.
        this.timer = setTimeout(() => this.connect(), this.retryMs * (0.5 + Math.random()));
        this.retryMs = Math.min(this.retryMs * 2, 30000);
      }
    });
  }

  receive(text) {
    let frame;
    try { frame = JSON.parse(text); } catch { return; }
    if (!frame || typeof frame.type !== 'string') return;
    if (frame.type === 'pong') return;
    if (frame.type === 'resync') {
      // The server's log no longer reaches back to our last event: refetch over REST.
      this.dispatchEvent(new CustomEvent('resync'));
      return;
    }
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame.data }));
    if (frame.id) session.lastEventId = frame.id;
  }
}
