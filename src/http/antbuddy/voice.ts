import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { findSipDevice, isDeviceRegistered } from '../../domain/dashboard.js';
import { safeEqual } from '../../domain/secrets.js';
import { DomainError } from '../../errors.js';
import { principalOf } from '../guard.js';

/** Lifetime of a websocket auth_token. */
export const WS_TOKEN_TTL_SEC = 3600;

import { ErrorBody } from './schemas.js';
const DIALABLE = '^\\+?[0-9*#]{2,20}$';

const SipCreds = Type.Object(
  {
    sipUser: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    sipPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

/** Check the device's SIP credentials; a wrong user and a wrong password are the same refusal. */
async function verifyDevice(ctx: AppContext, tenantId: number, sipUser: string, sipPassword: string) {
  const device = await findSipDevice(ctx.db, tenantId, sipUser);
  const expected = device ? ctx.box.open(device.sip_password_enc) : '';
  const ok = safeEqual(expected, sipPassword);
  if (!device || !ok || device.is_active !== 1) {
    throw new DomainError('UNAUTHORIZED', 'sipUser or sipPassword is wrong', 'invalid_sip_credentials');
  }
  return device;
}

function authTokenRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/voice/auth_token',
    {
      config: { antbuddyAuth: 'header', scope: 'call' },
      schema: {
        tags: ['antbuddy'],
        summary: 'Issue a websocket auth_token',
        response: {
          200: Type.Object({
            value: Type.String(),
            expire: Type.Integer({ description: 'lifetime in seconds' }),
            expires_at: Type.Integer({ description: 'unix seconds' }),
          }),
          401: ErrorBody,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const t = await ctx.credentials.createToken(p.tenantId, 'ws', {
        ttlMs: WS_TOKEN_TTL_SEC * 1000,
        appCredentialId: p.credentialId,
      });
      return { value: t.token, expire: WS_TOKEN_TTL_SEC, expires_at: Math.floor(t.expiresAt / 1000) };
    },
  );
}

/** Check the device, then hand the call to the engine; the engine's refusals keep their reasons. */
async function clickToCall(
  ctx: AppContext,
  tenantId: number,
  number: string,
  creds: { sipUser?: string | undefined; sipPassword?: string | undefined },
): Promise<string> {
  const { sipUser, sipPassword } = creds;
  if (!sipUser || !sipPassword)
    throw new DomainError('INVALID_INPUT', 'sipUser and sipPassword are required', 'invalid_input');
  const device = await verifyDevice(ctx, tenantId, sipUser, sipPassword);
  if (!(await isDeviceRegistered(ctx.db, tenantId, device.id, ctx.clock.now()))) {
    throw new DomainError(
      'INVALID_INPUT',
      `device ${sipUser} is not registered (offline)`,
      'device_not_registered',
    );
  }
  if (!ctx.clickToCall) {
    throw new DomainError('UNAVAILABLE', 'the call engine is not running', 'click_to_call_unavailable');
  }
  const { callId } = await ctx.clickToCall
    .originate({ tenantId, agentId: device.id, number })
    .catch((e: unknown) => {
      // The engine's own view of registrations (its location table) can disagree for a moment with ours.
      if (e instanceof DomainError && e.reason === 'agent_not_registered')
        throw new DomainError('INVALID_INPUT', e.message, 'device_not_registered');
      throw e;
    });
  return callId;
}

function clickToCallRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/call/click-to-call/:number',
    {
      config: { antbuddyAuth: 'header', scope: 'call' },
      schema: {
        tags: ['antbuddy'],
        summary: "Ring the agent's registered device, then dial :number",
        params: Type.Object({ number: Type.String({ pattern: DIALABLE }) }),
        querystring: SipCreds,
        body: SipCreds,
        response: {
          200: Type.Object({ message: Type.String(), call_id: Type.String() }),
          400: ErrorBody,
          401: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (req) => {
      const creds = {
        sipUser: req.body.sipUser ?? req.query.sipUser,
        sipPassword: req.body.sipPassword ?? req.query.sipPassword,
      };
      const callId = await clickToCall(ctx, principalOf(req).tenantId, req.params.number, creds);
      return { message: 'calling', call_id: callId };
    },
  );
}

/** `POST /oapi/v1/voice/auth_token` and `POST /oapi/v1/call/click-to-call/:number` (header auth). */
export function registerVoiceRoutes(app: FastifyInstance, ctx: AppContext): void {
  authTokenRoute(app, ctx);
  clickToCallRoute(app, ctx);
}
