// The public REST API, as any app calls it. Errors arrive as {"error": {"code", "message"}}.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

function headers(extra = {}) {
  const out = { Accept: 'application/json', ...extra };
  if (session.token) out.Authorization = `Bearer ${session.token}`;
  return out;
}

function errorFrom(status, body, retryAfter) {
  const err = body && body.error;
  if (err && typeof err.message === 'string') return new ApiError(status, err.code, err.message, retryAfter);
  if (status === 0) return new ApiError(0, 'network', 'The server could not be reached. Check your connection.');
  return new ApiError(status, 'http_' + status, `The server answered ${status}.`, retryAfter);
}

export async function call(method, path, body) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw errorFrom(0, null);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/v1/sessions') onUnauthorized();
    throw errorFrom(response.status, data, response.headers.get('Retry-After'));
  }
  return data;
}

export const get = (path) => call('GET', path);
export const q = encodeURIComponent;

export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') query.set(k, v);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// A multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can).
export function upload(method, path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (session.token) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(xhr.response);
      } else {
        if (xhr.status === 401) onUnauthorized();
        reject(errorFrom(xhr.status, xhr.response, xhr.getResponseHeader('Retry-After')));
      }
    });
    xhr.addEventListener('error', () => reject(errorFrom(0, null)));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    xhr.send(form);
  });
}

// A person-facing sentence for an API error, with what to do about it where we know.
export function explain(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  const wait = err.retryAfter ? ` Try again in ${humanSeconds(Number(err.retryAfter))}.` : '';
  switch (err.code) {
    case 'quota_exceeded': return `Upload limit reached: ${err.message}${wait}`;
    case 'media_too_large':
    case 'payload_too_large': return `Too large: ${err.message}`;
    case 'unsupported_media_type': return `Unsupported file: ${err.message}`;
    default:
      if (err.status === 429 || err.status === 503) return `${err.message}${wait}`;
      return err.message;
  }
}

function humanSeconds(s) {
  if (!Number.isFinite(s) || s <= 0) return 'a moment';
  if (s < 90) return `${Math.ceil(s)} s`;
  if (s < 5400) return `${Math.ceil(s / 60)} min`;
  return `${Math.ceil(s / 3600)} h`;
}
