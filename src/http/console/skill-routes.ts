import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  createSkill,
  getAgentSkills,
  getQueueSkills,
  listSkills,
  setAgentSkills,
  setQueueSkills,
} from '../../domain/skills.js';
import { inTransaction } from '../../store/db.js';
import { sessionOf } from './session.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
// The lists are checked by the domain (src/domain/skills.ts), which names the bad field's JSON pointer.
const List = Type.Array(Type.Unknown(), { maxItems: 50 });

/**
 * Skills in the console (docs/console.md): supervisors read the tenant's skills and who holds what; admins
 * create skills and set agents' proficiencies and queues' requirements. Same domain as the native API.
 */
export function registerConsoleSkillRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { consoleRole: 'admin' as const };
  const supervisor = { consoleRole: 'supervisor' as const };
  const tenantOf = (req: Parameters<typeof sessionOf>[0]) => sessionOf(req).user.tenantId;

  api.get('/console/api/skills', { config: supervisor, schema: { hide: true } }, async (req) => ({
    skills: (await listSkills(ctx.db, tenantOf(req))).map((s) => ({ skill_id: s.id, name: s.name })),
  }));

  api.post(
    '/console/api/skills',
    {
      config: admin,
      schema: {
        hide: true,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 60 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const s = await inTransaction(ctx.db, (tx) => createSkill(tx, ctx.clock, tenantOf(req), req.body));
      return reply.code(201).send({ skill_id: s.id, name: s.name });
    },
  );

  api.get(
    '/console/api/agents/:id/skills',
    { config: supervisor, schema: { hide: true, params: IdParams } },
    async (req) => ({ skills: await getAgentSkills(ctx.db, tenantOf(req), req.params.id) }),
  );

  api.put(
    '/console/api/agents/:id/skills',
    {
      config: admin,
      schema: {
        hide: true,
        params: IdParams,
        body: Type.Object({ skills: List }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const tenantId = tenantOf(req);
      const skills = await inTransaction(ctx.db, (tx) =>
        setAgentSkills(tx, tenantId, req.params.id, req.body.skills),
      );
      return { skills };
    },
  );

  api.get(
    '/console/api/queues/:id/skills',
    { config: supervisor, schema: { hide: true, params: IdParams } },
    async (req) => ({ requirements: await getQueueSkills(ctx.db, tenantOf(req), req.params.id) }),
  );

  api.put(
    '/console/api/queues/:id/skills',
    {
      config: admin,
      schema: {
        hide: true,
        params: IdParams,
        body: Type.Object({ requirements: List }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const tenantId = tenantOf(req);
      const requirements = await inTransaction(ctx.db, (tx) =>
        setQueueSkills(tx, tenantId, req.params.id, req.body.requirements),
      );
      return { requirements };
    },
  );
}
