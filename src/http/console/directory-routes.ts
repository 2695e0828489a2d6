import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { editConsoleQueue } from '../../domain/console-admin.js';
import {
  editConsoleAgent,
  inviteConsoleAgent,
  resetSipPassword,
  setAgentActive,
} from '../../domain/console-directory.js';
import { getThresholds, setThresholds } from '../../domain/console-settings.js';
import { AGENT_SELECTORS } from '../../domain/queues.js';
import { listMediaFiles, saveMohUpload } from '../../media/library.js';
import { invalid } from '../../errors.js';
import { sessionOf } from './session.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const Role = Type.Union([Type.Literal('admin'), Type.Literal('supervisor'), Type.Literal('agent')]);
const Memberships = Type.Array(
  Type.Object(
    { queue_id: Type.Integer({ minimum: 1 }), priority: Type.Integer({ minimum: 1, maximum: 100 }) },
    { additionalProperties: false },
  ),
  { maxItems: 1000 },
);
const InviteBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ minLength: 3, maxLength: 254 }),
    phone: Type.Optional(Type.String({ maxLength: 32 })),
    role: Role,
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    queues: Type.Optional(Memberships),
    recording: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const EditBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    phone: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
    role: Type.Optional(Role),
    recording: Type.Optional(Type.Boolean()),
    queues: Type.Optional(Memberships),
  },
  { additionalProperties: false },
);
const ActiveBody = Type.Object({ active: Type.Boolean() }, { additionalProperties: false });
const Pair = Type.Object(
  { green: Type.Number({ minimum: 0 }), amber: Type.Number({ minimum: 0 }) },
  { additionalProperties: false },
);
const ThresholdBody = Type.Object(
  {
    serviceLevelPct: Type.Optional(Pair),
    abandonRatePct: Type.Optional(Pair),
    oldestWaitSec: Type.Optional(Pair),
  },
  { additionalProperties: false },
);
const QueueBody = Type.Object(
  {
    strategy: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
    max_wait_sec: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    announce_position: Type.Optional(Type.Boolean()),
    wrap_up_sec: Type.Optional(Type.Integer()),
    ring_timeout_sec: Type.Optional(Type.Integer()),
    service_level_sec: Type.Optional(Type.Integer()),
    overflow: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    moh: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 63 }), Type.Null()])),
    members: Type.Optional(
      Type.Array(
        Type.Object(
          { agent_id: Type.Integer({ minimum: 1 }), priority: Type.Integer({ minimum: 1, maximum: 100 }) },
          { additionalProperties: false },
        ),
        { maxItems: 5000 },
      ),
    ),
  },
  { additionalProperties: false },
);
/** Hold music arrives as base64 inside JSON: the console's write rules (JSON only, CSRF header) stay whole. */
const MOH_MAX_BYTES = 32 * 1024 * 1024;
const MohBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63 }),
    data_base64: Type.String({ minLength: 1, maxLength: Math.ceil((MOH_MAX_BYTES * 4) / 3) + 4 }),
  },
  { additionalProperties: false },
);

const memberships = (list: { queue_id: number; priority: number }[] | undefined) =>
  list?.map((m) => ({ queueId: m.queue_id, priority: m.priority }));

/** Admin: invite/edit/deactivate agents, SIP password reset, queue editing, hold music, wallboard thresholds. */
export function registerConsoleDirectoryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { consoleRole: 'admin' as const };
  const deps = { db: ctx.db, clock: ctx.clock, box: ctx.box, bus: ctx.bus };

  api.post(
    '/console/api/agents',
    { config: admin, schema: { hide: true, body: InviteBody } },
    async (req, reply) => {
      const s = sessionOf(req);
      const b = req.body;
      const r = await inviteConsoleAgent(
        deps,
        s.user.tenantId,
        {
          name: b.name,
          email: b.email,
          role: b.role,
          ...(b.phone ? { phone: b.phone } : {}),
          ...(b.password ? { password: b.password } : {}),
          ...(b.queues ? { queues: memberships(b.queues)! } : {}),
          ...(b.recording !== undefined ? { recording: b.recording } : {}),
        },
        `console:${s.user.agentId}`,
      );
      // Shown once: neither password is ever readable again.
      return reply.code(201).send({
        agent_id: r.agent.id,
        extension: r.agent.extension,
        sip_password: r.sipPassword,
        console_password: r.password,
      });
    },
  );
  api.patch(
    '/console/api/agents/:id',
    { config: admin, schema: { hide: true, params: IdParams, body: EditBody } },
    async (req) => {
      const s = sessionOf(req);
      const b = req.body;
      const queues = memberships(b.queues);
      await editConsoleAgent(
        deps,
        s.user.tenantId,
        req.params.id,
        {
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.phone !== undefined ? { phone: b.phone } : {}),
          ...(b.role !== undefined ? { role: b.role } : {}),
          ...(b.recording !== undefined ? { recording: b.recording } : {}),
          ...(queues ? { queues } : {}),
        },
        `console:${s.user.agentId}`,
      );
      return { agent_id: req.params.id, updated: true };
    },
  );
  api.put(
    '/console/api/agents/:id/active',
    { config: admin, schema: { hide: true, params: IdParams, body: ActiveBody } },
    async (req) => {
      const s = sessionOf(req);
      const tenantId = s.user.tenantId;
      if (!req.body.active && req.params.id !== s.user.agentId)
        await ctx.statuses.logout(tenantId, req.params.id, `console:${s.user.agentId}`);
      const r = await setAgentActive(deps, tenantId, req.params.id, req.body.active, s.user.agentId);
      return { agent_id: req.params.id, active: req.body.active, revoked_sessions: r.revokedSessions };
    },
  );
  api.post(
    '/console/api/agents/:id/sip-password',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => ({
      agent_id: req.params.id,
      sip_password: await resetSipPassword(deps, sessionOf(req).user.tenantId, req.params.id),
    }),
  );

  api.get(
    '/console/api/thresholds',
    { config: { consoleRole: 'supervisor' }, schema: { hide: true } },
    (req) => getThresholds(ctx.db, sessionOf(req).user.tenantId),
  );
  api.put(
    '/console/api/thresholds',
    { config: admin, schema: { hide: true, body: ThresholdBody } },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      const t = await setThresholds(ctx.db, tenantId, req.body);
      ctx.bus.publish(tenantId, 'queue.changed', { queueId: 0, at: ctx.clock.now() });
      return t;
    },
  );

  api.patch(
    '/console/api/queues/:id',
    { config: admin, schema: { hide: true, params: IdParams, body: QueueBody } },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      const b = req.body;
      await editConsoleQueue(
        ctx.db,
        ctx.clock.now(),
        tenantId,
        req.params.id,
        {
          ...(b.strategy !== undefined ? { strategy: b.strategy } : {}),
          ...(b.max_wait_sec !== undefined ? { maxWaitSec: b.max_wait_sec } : {}),
          ...(b.announce_position !== undefined ? { announcePosition: b.announce_position } : {}),
          ...(b.wrap_up_sec !== undefined ? { wrapUpSec: b.wrap_up_sec } : {}),
          ...(b.ring_timeout_sec !== undefined ? { ringTimeoutSec: b.ring_timeout_sec } : {}),
          ...(b.service_level_sec !== undefined ? { serviceLevelSec: b.service_level_sec } : {}),
          ...(b.overflow !== undefined ? { overflow: b.overflow } : {}),
          ...(b.moh !== undefined ? { moh: b.moh } : {}),
          ...(b.members
            ? { members: b.members.map((m) => ({ agentId: m.agent_id, priority: m.priority })) }
            : {}),
        },
        AGENT_SELECTORS,
      );
      ctx.bus.publish(tenantId, 'queue.changed', { queueId: req.params.id, at: ctx.clock.now() });
      return { queue_id: req.params.id, updated: true };
    },
  );
  api.get(
    '/console/api/queues/:id/members',
    { config: { consoleRole: 'supervisor' }, schema: { hide: true, params: IdParams } },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      const rows = await ctx.db
        .selectFrom('queue_members')
        .select(['agent_id', 'priority'])
        .where('tenant_id', '=', tenantId)
        .where('queue_id', '=', req.params.id)
        .execute();
      return { members: rows, strategies: AGENT_SELECTORS };
    },
  );
  api.get(
    '/console/api/moh',
    { config: { consoleRole: 'supervisor' }, schema: { hide: true } },
    async (req) => {
      const files = await listMediaFiles(ctx.db, sessionOf(req).user.tenantId);
      return {
        files: files.map((f) => ({
          name: f.name,
          size_bytes: f.size_bytes,
          duration_ms: f.duration_ms,
          created_at: f.created_at,
        })),
      };
    },
  );
  api.post(
    '/console/api/moh',
    {
      config: admin,
      bodyLimit: Math.ceil((MOH_MAX_BYTES * 4) / 3) + 1024,
      schema: { hide: true, body: MohBody },
    },
    async (req, reply) => {
      const raw = req.body.data_base64;
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw)) throw invalid('data_base64 is not base64');
      const f = await saveMohUpload(
        ctx.db,
        ctx.clock,
        ctx.config.dataDir,
        sessionOf(req).user.tenantId,
        req.body.name,
        Buffer.from(raw, 'base64'),
      );
      return reply.code(201).send({ name: f.name, size_bytes: f.size_bytes, duration_ms: f.duration_ms });
    },
  );
}
