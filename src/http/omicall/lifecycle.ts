import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type DirectoryDeps,
  type InviteInput,
  deleteAgent,
  inviteAgent,
  setAgentRole,
  setAgentServicePackage,
} from '../../domain/agent-lifecycle.js';
import { sipPasswordOf } from '../../domain/agents.js';
import type { Principal } from '../../domain/credentials.js';
import { getTenant } from '../../domain/tenants.js';
import type { Agent } from '../../store/schema.js';
import { principalOf } from '../guard.js';
import { Envelope, ok } from './envelope.js';
import { omicallAgentId, omicallTenantId } from './presenters.js';
import { DeleteQuery, InviteBody, InviteV2Body, PackageUpdateBody, RoleUpdateBody } from './schemas.js';

const Any = Type.Unknown();

/** Who made a change, as `create_by`/`last_update_by` show it. */
export function actorOf(p: Principal): string {
  return p.kind === 'api_key' ? `Open API (key ${p.credentialId})` : `Open API (token ${p.credentialId})`;
}

export function directoryDeps(ctx: AppContext): DirectoryDeps {
  return { db: ctx.db, clock: ctx.clock, box: ctx.box, bus: ctx.bus };
}

async function invited(ctx: AppContext, tenantId: number, agent: Agent, sipPassword: string) {
  const tenant = await getTenant(ctx.db, tenantId);
  return ok({
    agent: { id: omicallAgentId(agent), full_name: agent.name, email: agent.email },
    pbx_account: {
      sip_user: agent.extension,
      password: sipPassword,
      domain: tenant.sip_domain,
      outbound_proxy: `${ctx.config.publicIp}:${ctx.config.sipPort}`,
      public_number: null,
      full_name: agent.name,
      email: agent.email,
      last_updated_date: agent.updated_at,
      created_date: agent.created_at,
    },
  });
}

/** `POST /api/agent/invite`. */
function registerInvite(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = directoryDeps(ctx);
  api.post(
    '/api/agent/invite',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'Invite an agent',
        body: InviteBody,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const attributes: Record<string, unknown> = {};
      if (b.call_timeout !== undefined) attributes.call_timeout = String(b.call_timeout);
      if (b.target_forward) attributes.target_forward = b.target_forward;
      if (b.group_name) attributes.group_name = b.group_name;
      const input: InviteInput = {
        fullName: b.full_name,
        email: b.identify_info,
        password: b.password,
        passwordRule: 'strict',
        roleName: b.role_name,
        ownerEmail: b.owner_email,
        externalUuid: b.uuid,
        attributes,
        createdBy: actorOf(p),
      };
      const { agent, sipPassword } = await inviteAgent(deps, p.tenantId, input);
      return invited(ctx, p.tenantId, agent, sipPassword);
    },
  );
}

/** `POST /api/agent/invite_with_package_v2`. */
function registerInviteV2(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = directoryDeps(ctx);
  api.post(
    '/api/agent/invite_with_package_v2',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'Invite an agent into a service package',
        body: InviteV2Body,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const { agent, sipPassword } = await inviteAgent(deps, p.tenantId, {
        fullName: b.full_name,
        email: b.identify_info,
        password: b.password,
        passwordRule: 'v2',
        roleName: b.role_name,
        servicePackageUid: b.service_package_id || undefined,
        ownerEmail: b.owner_email,
        createdBy: actorOf(p),
      });
      return invited(ctx, p.tenantId, agent, sipPassword);
    },
  );
}

/** `DELETE /api/agent/delete`. */
function registerDelete(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = directoryDeps(ctx);
  api.delete(
    '/api/agent/delete',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'Delete an agent: off every queue, SIP access revoked, history kept',
        querystring: DeleteQuery,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await deleteAgent(deps, p.tenantId, req.query.identify_info, actorOf(p));
      return ok(true);
    },
  );
}

/** `POST /api/agent/role/update`. */
function registerRoleUpdate(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = directoryDeps(ctx);
  api.post(
    '/api/agent/role/update',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: "Change an agent's role",
        body: RoleUpdateBody,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { agent, role } = await setAgentRole(deps, p.tenantId, req.body.id, req.body.role_id, actorOf(p));
      const tenant = await getTenant(ctx.db, p.tenantId);
      return ok({
        id: omicallAgentId(agent),
        tenant_id: omicallTenantId(tenant),
        contact_id: omicallAgentId(agent),
        email: agent.email,
        full_name: agent.name,
        role_id: role.uid,
        type: 'agent',
        pbx_account: { sip_user: agent.extension, sip_password: sipPasswordOf(ctx.box, agent) },
      });
    },
  );
}

/** `POST /api/agent/service_package/update`. */
function registerPackageUpdate(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = directoryDeps(ctx);
  api.post(
    '/api/agent/service_package/update',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: "Set or remove an agent's service package",
        body: PackageUpdateBody,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await setAgentServicePackage(
        deps,
        p.tenantId,
        req.body.id,
        req.body.service_package_id || undefined,
        actorOf(p),
      );
      return ok(true);
    },
  );
}

/** Lifecycle writes: invite (v1 and with package v2), delete, role and service-package updates (bearer). */
export async function registerLifecycleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerInvite(app, ctx);
  registerInviteV2(app, ctx);
  registerDelete(app, ctx);
  registerRoleUpdate(app, ctx);
  registerPackageUpdate(app, ctx);
}
