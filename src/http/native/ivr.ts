import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type IvrFlowView,
  assignNumberToFlow,
  createIvrFlow,
  deleteIvrFlow,
  getIvrFlow,
  listIvrFlows,
  updateIvrFlow,
} from '../../domain/ivr-flows.js';
import { principalOf } from '../guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
/** The flow document is checked by src/ivr/validate.ts (errors name their JSON pointer), not by the route schema. */
const FlowDoc = Type.Unknown({ description: 'The flow document (docs/ivr.md)' });
const FlowJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  version: Type.Integer({ description: 'The version shown' }),
  current_version: Type.Integer({ description: 'The version new calls get' }),
  flow: FlowDoc,
  numbers: Type.Array(Type.String(), { description: 'Numbers pointing to this flow' }),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});

const config = { scope: 'queue' as const };
const tags = ['native: ivr'];

/** A flow on the wire (the native API's and the console's). */
export const flowJson = (f: IvrFlowView) => ({
  id: f.id,
  name: f.name,
  version: f.version,
  current_version: f.currentVersion,
  flow: f.flow,
  numbers: f.numbers,
  created_at: f.createdAt,
  updated_at: f.updatedAt,
});

/** Native IVR flows: `/api/ivr/flows` CRUD (an update is a new version) and numbers pointing to a flow (scope `queue`). */
export async function registerNativeIvrRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/ivr/flows',
    {
      config,
      schema: {
        tags,
        summary: "The tenant's IVR flows",
        response: { 200: Type.Object({ flows: Type.Array(FlowJson) }) },
      },
    },
    async (req) => ({ flows: (await listIvrFlows(ctx.db, principalOf(req).tenantId)).map(flowJson) }),
  );

  api.post(
    '/api/ivr/flows',
    {
      config,
      schema: {
        tags,
        summary: 'Create a flow (version 1); an invalid flow is refused with the path of the error',
        body: Type.Object(
          { name: Type.String({ maxLength: 200 }), flow: FlowDoc },
          { additionalProperties: false },
        ),
        response: { 201: FlowJson },
      },
    },
    async (req, reply) => {
      const f = await createIvrFlow(ctx.db, ctx.clock, principalOf(req).tenantId, req.body);
      return reply.code(201).send(flowJson(f));
    },
  );

  api.get(
    '/api/ivr/flows/:id',
    {
      config,
      schema: {
        tags,
        summary: 'One flow: its current version, or ?version=',
        params: IdParams,
        querystring: Type.Object(
          { version: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: { 200: FlowJson },
      },
    },
    async (req) =>
      flowJson(await getIvrFlow(ctx.db, principalOf(req).tenantId, req.params.id, req.query.version)),
  );

  api.put(
    '/api/ivr/flows/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Rename a flow and/or store a new version of it (calls in progress keep theirs)',
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Type.String({ maxLength: 200 })), flow: Type.Optional(FlowDoc) },
          { additionalProperties: false },
        ),
        response: { 200: FlowJson },
      },
    },
    async (req) =>
      flowJson(await updateIvrFlow(ctx.db, ctx.clock, principalOf(req).tenantId, req.params.id, req.body)),
  );

  api.delete(
    '/api/ivr/flows/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Delete a flow no number points to',
        params: IdParams,
      },
    },
    async (req, reply) => {
      await deleteIvrFlow(ctx.db, principalOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  api.put(
    '/api/ivr/numbers/:number',
    {
      config,
      schema: {
        tags,
        summary: "Point one of the tenant's numbers to a flow",
        params: Type.Object({ number: Type.String({ maxLength: 30 }) }, { additionalProperties: false }),
        body: Type.Object({ flow_id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ number: Type.String(), flow_id: Type.Integer() }) },
      },
    },
    async (req) => {
      const r = await assignNumberToFlow(
        ctx.db,
        principalOf(req).tenantId,
        req.params.number,
        req.body.flow_id,
      );
      return { number: r.number, flow_id: r.flowId };
    },
  );
}
