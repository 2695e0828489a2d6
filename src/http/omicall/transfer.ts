import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { type TransferRequest, requestTransfer } from '../../domain/agent-transfer.js';
import { principalOf } from '../guard.js';
import { Envelope, ok } from './envelope.js';
import { directoryDeps } from './lifecycle.js';
import { TransferBody } from './schemas.js';

/** `POST /api/v3/agent/transfer` (x-api-key): 202 with a requestId; the move and the webhook run in the outbox. */
export async function registerTransferRoute(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/api/v3/agent/transfer',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: "Move an agent account to a new owner's email (asynchronous, result by signed webhook)",
        body: TransferBody,
        response: { 202: Envelope(Type.Object({ requestId: Type.String() })) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const input: TransferRequest = { sourceEmail: b.sourceEmail, targetEmail: b.targetEmail };
      if (b.targetInfo) input.targetInfo = b.targetInfo;
      if (b.callbackResultConfig) input.callback = b.callbackResultConfig;
      const result = await requestTransfer(
        { ...directoryDeps(ctx), allowPrivateWebhooks: ctx.config.allowPrivateWebhooks },
        p.tenantId,
        input,
      );
      return reply.code(202).send(ok(result));
    },
  );
}
