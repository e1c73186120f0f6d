// The management API as the console uses it: every call carries the token the operator signed in with.
const KEY = 'mqttgrid.console';

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
    this.target = error.target;
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch (e) {
    return null;
  }
}

export function saveSession(s) {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** The namespace's path: the API's short form. */
export function base(s = session()) {
  return `/namespaces/${encodeURIComponent(s.namespace)}`;
}

export async function call(method, path, body, s = session()) {
  const headers = { Authorization: `Bearer ${s.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch (e) {
    parsed = null;
  }
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent('console:unauthorized'));
    throw new ApiError(response.status, parsed);
  }
  return parsed;
}

export const api = {
  get: (path) => call('GET', base() + path),
  put: (path, body) => call('PUT', base() + path, body),
  post: (path, body) => call('POST', base() + path, body),
  del: (path) => call('DELETE', base() + path),
};
