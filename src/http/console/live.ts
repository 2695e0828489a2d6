import type { Server } from 'socket.io';
import type { AppContext } from '../../context.js';
import { resolveSession, roleAllows } from '../../domain/console-accounts.js';
import { SESSION_COOKIE, parseCookies } from './session.js';

/** Domain events that change what a console screen shows. */
const LIVE_TYPES = new Set([
  'agent.status_changed',
  'agent.changed',
  'queue.changed',
  'call.created',
  'call.answered',
  'call.ended',
  // The wallboard's callback counts.
  'callback.requested',
  'callback.completed',
  'callback.failed',
]);

/**
 * The console's Socket.IO namespace `/console`: the handshake must carry a live console session cookie (the same
 * one the API takes); supervisors join their tenant's floor room, every user their own agent room. Events say
 * what changed (type, agent, call); the page then reads the figures from the API, so the wallboard never
 * disagrees with `GET /oapi/v1/call/dashboard`.
 */
export function attachConsoleLive(ctx: AppContext, io: Server): { close(): Promise<void> } {
  const nsp = io.of('/console');
  nsp.use((socket, next) => {
    const token = parseCookies(socket.handshake.headers.cookie)[SESSION_COOKIE] ?? '';
    resolveSession(ctx.db, ctx.clock, token).then(
      (s) => {
        if (!s) return next(new Error('not signed in'));
        socket.data.user = s.user;
        socket.data.token = token;
        void socket.join(`agent:${s.user.tenantId}:${s.user.agentId}`);
        if (roleAllows(s.user.role, 'supervisor')) void socket.join(`floor:${s.user.tenantId}`);
        next();
      },
      (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
    );
  });
  // A revoked session (password change, deactivation, force logout) must not keep a live socket: whenever an
  // agent changes, its sockets re-check their session and the ones that ended are told so and disconnected.
  const recheck = async (tenantId: number, agentId: number) => {
    const sockets = await nsp.in(`agent:${tenantId}:${agentId}`).fetchSockets();
    for (const socket of sockets) {
      const token = typeof socket.data.token === 'string' ? socket.data.token : '';
      if (await resolveSession(ctx.db, ctx.clock, token)) continue;
      socket.emit('signed_out', { reason: 'session_ended' });
      socket.disconnect(true);
    }
  };
  const unsubscribe = ctx.bus.subscribe((e) => {
    if (e.type === 'agent.changed') {
      const { agentId } = e.payload as { agentId: number };
      if (agentId > 0)
        recheck(e.tenantId, agentId).catch((err: unknown) =>
          ctx.logger.warn({ err }, 'console socket recheck failed'),
        );
    }
    if (!LIVE_TYPES.has(e.type)) return;
    const p = e.payload as { agentId?: number | null; callId?: string };
    const msg = { type: e.type, agent_id: p.agentId ?? null, call_id: p.callId ?? null };
    const rooms = [`floor:${e.tenantId}`];
    if (p.agentId) rooms.push(`agent:${e.tenantId}:${p.agentId}`);
    // One emit to the union of rooms: a supervisor in both gets it once.
    nsp.to(rooms).emit('changed', msg);
  });
  return {
    async close() {
      unsubscribe();
    },
  };
}
