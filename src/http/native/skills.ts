import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type SkillView,
  MAX_PROFICIENCY,
  MIN_PROFICIENCY,
  createSkill,
  deleteSkill,
  getAgentSkills,
  getQueueSkills,
  getSkill,
  listSkills,
  setAgentSkills,
  setQueueSkills,
  updateSkill,
} from '../../domain/skills.js';
import { inTransaction } from '../../store/db.js';
import { principalOf } from '../guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const Name = Type.String({
  minLength: 1,
  maxLength: 60,
  description: 'Unique in the tenant, case-insensitively',
});
const Description = Type.String({ maxLength: 500 });
const SkillJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
const Proficiency = Type.Integer({ minimum: MIN_PROFICIENCY, maximum: MAX_PROFICIENCY });
const AgentSkill = Type.Object(
  { skill_id: Type.Integer({ minimum: 1 }), proficiency: Proficiency },
  { additionalProperties: false },
);
const AgentSkillJson = Type.Object({
  skill_id: Type.Integer(),
  name: Type.String(),
  proficiency: Type.Integer(),
});
const RelaxStep = Type.Object(
  {
    after_sec: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      description: 'Seconds of waiting, later than the step before',
    }),
    min_proficiency: Type.Integer({
      minimum: 0,
      maximum: MAX_PROFICIENCY - 1,
      description: 'The new minimum, lower than the one before; 0 drops the requirement',
    }),
  },
  { additionalProperties: false },
);
const Requirement = Type.Object(
  {
    skill_id: Type.Integer({ minimum: 1 }),
    min_proficiency: Proficiency,
    relax: Type.Optional(Type.Array(RelaxStep, { maxItems: 5 })),
  },
  { additionalProperties: false },
);
const RequirementJson = Type.Object({
  skill_id: Type.Integer(),
  name: Type.String(),
  min_proficiency: Type.Integer(),
  relax: Type.Array(Type.Object({ after_sec: Type.Integer(), min_proficiency: Type.Integer() })),
});

const tags = ['native: skills'];

const skillJson = (s: SkillView) => ({
  id: s.id,
  name: s.name,
  description: s.description,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

/**
 * Native skills (docs/acd.md, Skills): `/api/skills` CRUD and agents' proficiencies (scope `agent`), the skills a
 * queue requires (scope `queue`). Lists are replaced whole; an unknown skill or a value out of range is 400 with
 * the JSON pointer of the field in `error.path`; another tenant's skill, agent or queue in the URL is 404.
 */
export async function registerNativeSkillRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const config = { scope: 'agent' as const };

  api.get(
    '/api/skills',
    {
      config,
      schema: {
        tags,
        summary: "The tenant's skills",
        response: { 200: Type.Object({ skills: Type.Array(SkillJson) }) },
      },
    },
    async (req) => ({ skills: (await listSkills(ctx.db, principalOf(req).tenantId)).map(skillJson) }),
  );

  api.post(
    '/api/skills',
    {
      config,
      schema: {
        tags,
        summary: 'Create a skill',
        body: Type.Object(
          { name: Name, description: Type.Optional(Description) },
          { additionalProperties: false },
        ),
        response: { 201: SkillJson },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const s = await inTransaction(ctx.db, (tx) => createSkill(tx, ctx.clock, p.tenantId, req.body));
      return reply.code(201).send(skillJson(s));
    },
  );

  api.get(
    '/api/skills/:id',
    { config, schema: { tags, summary: 'One skill', params: IdParams, response: { 200: SkillJson } } },
    async (req) => skillJson(await getSkill(ctx.db, principalOf(req).tenantId, req.params.id)),
  );

  api.patch(
    '/api/skills/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Rename or describe a skill',
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Name), description: Type.Optional(Description) },
          { additionalProperties: false },
        ),
        response: { 200: SkillJson },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const s = await inTransaction(ctx.db, (tx) =>
        updateSkill(tx, ctx.clock, p.tenantId, req.params.id, req.body),
      );
      return skillJson(s);
    },
  );

  api.delete(
    '/api/skills/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Delete a skill (agents lose it, queues stop requiring it)',
        params: IdParams,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await inTransaction(ctx.db, (tx) => deleteSkill(tx, p.tenantId, req.params.id));
      return reply.code(204).send();
    },
  );

  registerAssignments(app, ctx);
}

function registerAssignments(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const AgentSkills = Type.Object({ skills: Type.Array(AgentSkillJson) });
  const QueueSkills = Type.Object({ requirements: Type.Array(RequirementJson) });

  api.get(
    '/api/agents/:id/skills',
    {
      config: { scope: 'agent' },
      schema: { tags, summary: "An agent's skills", params: IdParams, response: { 200: AgentSkills } },
    },
    async (req) => ({ skills: await getAgentSkills(ctx.db, principalOf(req).tenantId, req.params.id) }),
  );

  api.put(
    '/api/agents/:id/skills',
    {
      config: { scope: 'agent' },
      schema: {
        tags,
        summary: "Replace an agent's skills",
        params: IdParams,
        body: Type.Object(
          { skills: Type.Array(AgentSkill, { maxItems: 50 }) },
          { additionalProperties: false },
        ),
        response: { 200: AgentSkills },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const skills = await inTransaction(ctx.db, (tx) =>
        setAgentSkills(tx, p.tenantId, req.params.id, req.body.skills),
      );
      return { skills };
    },
  );

  api.get(
    '/api/queues/:id/skills',
    {
      config: { scope: 'queue' },
      schema: {
        tags,
        summary: 'The skills an inbound queue requires',
        params: IdParams,
        response: { 200: QueueSkills },
      },
    },
    async (req) => ({ requirements: await getQueueSkills(ctx.db, principalOf(req).tenantId, req.params.id) }),
  );

  api.put(
    '/api/queues/:id/skills',
    {
      config: { scope: 'queue' },
      schema: {
        tags,
        summary: "Replace an inbound queue's skill requirements",
        description:
          'Each requirement: a skill of the tenant, a minimum proficiency 1–5, and optional relax steps (later and ' +
          'lower than the step before; 0 drops the requirement). Calls already waiting keep the list they entered with.',
        params: IdParams,
        body: Type.Object(
          { requirements: Type.Array(Requirement, { maxItems: 50 }) },
          { additionalProperties: false },
        ),
        response: { 200: QueueSkills },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const requirements = await inTransaction(ctx.db, (tx) =>
        setQueueSkills(tx, p.tenantId, req.params.id, req.body.requirements),
      );
      return { requirements };
    },
  );
}
