import { signal } from '@preact/signals';

/** The signed-in session ({user, tenant, locale, csrf}) or null. */
export const session = signal(undefined);

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    /** The JSON pointer of an invalid IVR flow's first problem. */
    this.path = body?.error?.path;
  }
}

/** JSON over the console API: same-origin cookie, CSRF token on writes. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session.value?.csrf) headers['x-csrf-token'] = session.value.csrf;
  const res = await fetch(`/console/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (res.status === 401 && path !== '/login') session.value = null;
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const can = (role) => {
  const order = ['admin', 'supervisor', 'agent'];
  const mine = session.value?.user?.role ?? 'agent';
  return order.indexOf(mine) <= order.indexOf(role);
};
