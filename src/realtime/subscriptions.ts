import type { AppContext } from '../context.js';
import { findTenantByAccountId } from '../domain/tenants.js';
import type { RealtimeGateway } from './gateway.js';
import {
  type Ack,
  type RealtimeSocket,
  type SubscribeError,
  type SubscribeRequest,
  type SubscribeResult,
  type Target,
  parseBinding,
  roomOf,
} from './protocol.js';

const MAX_BINDINGS = 20;
/** Per connection: per-call bindings each add a room, so a client cannot grow the room table without bound. */
const MAX_ROOMS = 200;

class SubscribeFailure extends Error {
  constructor(readonly error: SubscribeError) {
    super(error.message);
  }
}

const fail = (code: SubscribeError['code'], message: string, binding?: string): never => {
  throw new SubscribeFailure({ code, message, ...(binding !== undefined ? { binding } : {}) });
};

/** `binding` (one string) and/or `bindings` (a list), as Kazoo clients send either. */
function bindingList(req: { binding?: unknown; bindings?: unknown }): string[] {
  const list: unknown[] = [];
  if (req.binding !== undefined) list.push(req.binding);
  if (req.bindings !== undefined) {
    if (!Array.isArray(req.bindings)) fail('invalid_request', 'bindings must be an array of strings');
    list.push(...(req.bindings as unknown[]));
  }
  if (list.length === 0) fail('invalid_request', 'binding (or bindings) is required');
  if (list.length > MAX_BINDINGS) fail('invalid_request', `at most ${MAX_BINDINGS} bindings per subscribe`);
  return list.map((b) =>
    typeof b === 'string' ? b : fail('invalid_request', 'every binding must be a string'),
  );
}

function targetsOf(bindings: string[]): Target[] {
  return bindings.flatMap(
    (b) =>
      parseBinding(b) ??
      fail(
        'invalid_binding',
        `unknown binding "${b}" (try call.CHANNEL_CREATE.*, call.*.* or agent.status_changed.*)`,
        b,
      ),
  );
}

function sinceOf(raw: unknown): number | null {
  if (raw === undefined || raw === null) return null;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    fail('invalid_request', 'last_event_id must be a non-negative integer');
  return n as number;
}

/** Verify the token and that `account_id` is the token's own account; returns the tenant. */
async function authorize(ctx: AppContext, socket: RealtimeSocket, req: SubscribeRequest) {
  if (typeof req.account_id !== 'string' || typeof req.auth_token !== 'string')
    fail('invalid_request', 'account_id and auth_token are required strings');
  const principal = await ctx.credentials.verifyToken(req.auth_token as string, 'ws');
  if (!principal) fail('invalid_token', 'auth_token is wrong or has expired');
  const tenant = await findTenantByAccountId(ctx.db, req.account_id as string);
  // Same refusal for an unknown account and another tenant's: nothing tells a caller which accounts exist.
  if (!tenant || tenant.id !== principal!.tenantId)
    fail('account_mismatch', "account_id is not this auth_token's account");
  if (socket.data.tenantId !== undefined && socket.data.tenantId !== tenant!.id)
    fail('account_mismatch', 'this connection is already subscribed for another account');
  return tenant!;
}

async function subscribe(
  ctx: AppContext,
  gateway: RealtimeGateway,
  socket: RealtimeSocket,
  req: SubscribeRequest,
): Promise<SubscribeResult> {
  if (!req || typeof req !== 'object') fail('invalid_request', 'subscribe expects an object');
  const bindings = bindingList(req);
  const targets = targetsOf(bindings);
  const since = sinceOf(req.last_event_id);
  const tenant = await authorize(ctx, socket, req);
  if (socket.rooms.size + targets.length > MAX_ROOMS)
    fail('invalid_request', `too many bindings on this connection (at most ${MAX_ROOMS})`);
  socket.data.tenantId = tenant.id;
  socket.data.accountId = tenant.account_id;
  const replayed = await gateway.join(socket, tenant.id, targets, since);
  return { account_id: tenant.account_id, bindings, replayed };
}

/** Both places Kazoo-style clients listen for a refusal. */
function refuse(socket: RealtimeSocket, error: SubscribeError): void {
  socket.emit('subscribe_error', error);
  socket.emit('error', error);
}

/**
 * Close the connection unless a `subscribe` succeeds within the configured time: a connection that never
 * authenticates only holds memory. (Socket.IO's own connectTimeout closes those that never open a namespace.)
 */
function closeUnlessAuthenticated(ctx: AppContext, socket: RealtimeSocket): () => void {
  const ms = ctx.config.realtimeAuthTimeoutMs;
  const timer = setTimeout(() => {
    if (socket.data.tenantId !== undefined) return;
    refuse(socket, { code: 'auth_timeout', message: `no successful subscribe within ${ms} ms` });
    socket.disconnect(true);
  }, ms);
  timer.unref();
  socket.once('disconnect', () => clearTimeout(timer));
  return () => clearTimeout(timer);
}

/** `subscribe` / `unsubscribe` for one connection. Failures answer on `subscribe_error` and `error`. */
export function registerSubscriptionHandlers(
  ctx: AppContext,
  gateway: RealtimeGateway,
  socket: RealtimeSocket,
) {
  const authenticated = closeUnlessAuthenticated(ctx, socket);
  socket.on('subscribe', (req, ack) => {
    subscribe(ctx, gateway, socket, req).then(
      (result) => {
        authenticated();
        socket.emit('subscribed', result);
        if (typeof ack === 'function') ack({ ok: true, result });
      },
      (err: unknown) => {
        const error: SubscribeError =
          err instanceof SubscribeFailure ? err.error : { code: 'internal', message: 'subscribe failed' };
        if (!(err instanceof SubscribeFailure)) ctx.logger.error({ err }, 'subscribe failed');
        refuse(socket, error);
        if (typeof ack === 'function') ack({ ok: false, error });
      },
    );
  });

  socket.on('unsubscribe', (req, ack: Ack<{ ok: boolean; bindings: string[] }> | undefined) => {
    let bindings: string[] = [];
    try {
      bindings = bindingList(req ?? {});
      const tenantId = socket.data.tenantId;
      if (tenantId !== undefined) for (const t of targetsOf(bindings)) void socket.leave(roomOf(tenantId, t));
    } catch (err) {
      const error =
        err instanceof SubscribeFailure ? err.error : { code: 'internal' as const, message: 'failed' };
      socket.emit('subscribe_error', error);
      if (typeof ack === 'function') ack({ ok: false, bindings });
      return;
    }
    socket.emit('unsubscribed', { bindings });
    if (typeof ack === 'function') ack({ ok: true, bindings });
  });
}
