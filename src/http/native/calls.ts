import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { principalOf } from '../guard.js';

const ClickToCallBody = Type.Object(
  {
    agent_id: Type.Integer({
      minimum: 1,
      description: "The agent whose phone rings first (tongdai's agent id)",
    }),
    number: Type.String({
      minLength: 2,
      maxLength: 32,
      pattern: '^\\+?[0-9 ().-]+$',
      description: 'The customer number to call through the trunk once the agent answers',
    }),
  },
  { additionalProperties: false },
);

/** Native call control: click-to-call (see docs/api/native-calls.md). */
export async function registerNativeCallRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/api/calls/click-to-call',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary: "Click-to-call: ring the agent's registered phone, then the customer, then bridge",
        body: ClickToCallBody,
        response: { 200: Type.Object({ call_id: Type.String(), status: Type.Literal('ringing_agent') }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (!ctx.clickToCall) throw new DomainError('UNAVAILABLE', 'the call engine is not running');
      const { callId } = await ctx.clickToCall.originate({
        tenantId: p.tenantId,
        agentId: req.body.agent_id,
        number: req.body.number,
      });
      return { call_id: callId, status: 'ringing_agent' as const };
    },
  );
}
