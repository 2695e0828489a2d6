import { request } from 'node:http';
import type { TestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { hex32 } from '../../src/ids.js';

/** Fixtures shared by the status and CCAI suites: agents inserted in bulk, raw HTTP with a body on GET. */

let extSeq = 5000;

/** Insert `n` live agents for the tenant in one statement per 200 (fast enough for a 1,000-agent team). */
export async function insertAgents(
  s: TestServer,
  tenantId: number,
  n: number,
  prefix = 'Agent',
): Promise<{ id: number; extension: string; name: string; email: string }[]> {
  const db = s.t.ctx.db;
  const now = s.clock.now();
  const rows = Array.from({ length: n }, () => {
    const ext = String(extSeq++);
    return {
      tenant_id: tenantId,
      uid: hex32(),
      extension: ext,
      name: `${prefix} ${ext}`,
      email: `${prefix.toLowerCase().replace(/\W/g, '')}${ext}@example.test`,
      phone: null,
      username: null,
      gender: null,
      role_id: null,
      service_package_id: null,
      owner_email: null,
      password_hash: null,
      sip_password_enc: s.t.ctx.box.seal('x'),
      callout_queue_id: null,
      status_id: null,
      status_changed_at: null,
      created_by: 'test',
      updated_by: 'test',
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
  });
  const out: { id: number; extension: string; name: string; email: string }[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    out.push(
      ...(await db
        .insertInto('agents')
        .values(rows.slice(i, i + 200))
        .returning(['id', 'extension', 'name', 'email'])
        .execute()),
    );
  }
  return out;
}

/** The shared other tenant (test/helpers/tenants.ts) with the default statuses, one agent and an admin key. */
export async function otherTenantWithAgent(s: TestServer) {
  const o = await otherTenant(s, { scopes: ['admin'], statuses: true });
  const [agent] = await insertAgents(s, o.tenantId, 1, 'Other');
  return { ...o, agent: agent! };
}

export const basic = (key: string, user = 'tongdai') =>
  `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;

/** An HTTP request with any method and an optional JSON body (fetch refuses a body on GET). */
export function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Record<string, string | string[] | undefined> }> {
  const payload =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (payload !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
