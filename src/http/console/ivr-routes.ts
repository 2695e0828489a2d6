import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  assignNumberToFlow,
  createIvrFlow,
  deleteIvrFlow,
  getIvrFlow,
  listIvrFlowVersions,
  listIvrFlows,
  updateIvrFlow,
} from '../../domain/ivr-flows.js';
import { PROMPT_CATALOG, PROMPT_LANGS } from '../../prompts/catalog.js';
import { flowJson } from '../native/ivr.js';
import { sessionOf } from './session.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
// The document is checked by src/ivr/validate.ts, whose errors carry the JSON pointer the editor shows.
const FlowDoc = Type.Unknown();

/**
 * IVR flows in the console (docs/console.md): supervisors read flows, their versions and the prompt catalogue;
 * admins create, save (a new version each time), delete and point numbers to a flow. Same domain as the native
 * API (docs/api/native-ivr.md), so an invalid flow is 400 with `path`, and another tenant's flow is 404.
 */
export function registerConsoleIvrRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { consoleRole: 'admin' as const };
  const supervisor = { consoleRole: 'supervisor' as const };
  const tenantOf = (req: Parameters<typeof sessionOf>[0]) => sessionOf(req).user.tenantId;

  api.get('/console/api/ivr/flows', { config: supervisor, schema: { hide: true } }, async (req) => ({
    flows: (await listIvrFlows(ctx.db, tenantOf(req))).map(flowJson),
  }));

  // Catalogue names a prompt may use, with what each says (the editor's reference list).
  api.get('/console/api/ivr/prompts', { config: supervisor, schema: { hide: true } }, () =>
    Object.fromEntries(
      PROMPT_LANGS.map((l) => [l, Object.entries(PROMPT_CATALOG[l]).map(([name, text]) => ({ name, text }))]),
    ),
  );

  api.get(
    '/console/api/ivr/flows/:id',
    {
      config: supervisor,
      schema: {
        hide: true,
        params: IdParams,
        querystring: Type.Object(
          { version: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => flowJson(await getIvrFlow(ctx.db, tenantOf(req), req.params.id, req.query.version)),
  );

  api.get(
    '/console/api/ivr/flows/:id/versions',
    { config: supervisor, schema: { hide: true, params: IdParams } },
    async (req) => ({
      versions: (await listIvrFlowVersions(ctx.db, tenantOf(req), req.params.id)).map((v) => ({
        version: v.version,
        created_at: v.createdAt,
      })),
    }),
  );

  api.post(
    '/console/api/ivr/flows',
    {
      config: admin,
      schema: {
        hide: true,
        body: Type.Object(
          { name: Type.String({ maxLength: 200 }), flow: FlowDoc },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const f = await createIvrFlow(ctx.db, ctx.clock, tenantOf(req), req.body);
      return reply.code(201).send(flowJson(f));
    },
  );

  api.put(
    '/console/api/ivr/flows/:id',
    {
      config: admin,
      schema: {
        hide: true,
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Type.String({ maxLength: 200 })), flow: Type.Optional(FlowDoc) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => flowJson(await updateIvrFlow(ctx.db, ctx.clock, tenantOf(req), req.params.id, req.body)),
  );

  api.delete(
    '/console/api/ivr/flows/:id',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => {
      await deleteIvrFlow(ctx.db, tenantOf(req), req.params.id);
      return { deleted: true };
    },
  );

  api.put(
    '/console/api/ivr/numbers/:number',
    {
      config: admin,
      schema: {
        hide: true,
        params: Type.Object({ number: Type.String({ maxLength: 30 }) }, { additionalProperties: false }),
        body: Type.Object({ flow_id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const r = await assignNumberToFlow(ctx.db, tenantOf(req), req.params.number, req.body.flow_id);
      return { number: r.number, flow_id: r.flowId };
    },
  );
}
