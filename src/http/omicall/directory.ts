import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { requireAgentByEmail } from '../../domain/agent-lifecycle.js';
import { type AgentSearch, pageOf, searchAgents } from '../../domain/agent-search.js';
import { sipPasswordOf } from '../../domain/agents.js';
import { getTenant } from '../../domain/tenants.js';
import { principalOf } from '../guard.js';
import { Envelope, ok } from './envelope.js';
import { agentSummary, directoryItem, omicallTenantId } from './presenters.js';
import { GetByEmailBody, ListQuery, PageQuery, SearchV2Body, SearchV3Body } from './schemas.js';

const Any = Type.Unknown();

/** `GET /api/agent/list`. */
function registerList(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/api/agent/list',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'Agent list (v1): keyword over name, email, phone',
        querystring: ListQuery,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const { page, size, keyword } = req.query;
      const { rows, total } = await searchAgents(ctx.db, tenantId, { keyword, page, size });
      return ok(
        pageOf(
          rows.map((a) => directoryItem(a, 'v1')),
          page,
          size,
          total,
        ),
      );
    },
  );
}

/** `POST /api/v2/agent/search`. */
function registerSearchV2(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/api/v2/agent/search',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'Agent search (v2): by emails, phones, extensions; with SIP credentials',
        querystring: PageQuery,
        body: SearchV2Body,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const { page, size } = req.query;
      const b = req.body;
      const search: AgentSearch = {
        emails: b.emails,
        phones: b.phones,
        extensions: b.extensions,
        page,
        size,
      };
      if (b.sort) search.sort = { field: b.sort.field, isAsc: b.sort.isAsc ?? true };
      const [{ rows, total }, tenant] = await Promise.all([
        searchAgents(ctx.db, tenantId, search),
        getTenant(ctx.db, tenantId),
      ]);
      return ok(
        pageOf(
          rows.map((a) => agentSummary(a, sipPasswordOf(ctx.box, a), omicallTenantId(tenant))),
          page,
          size,
          total,
        ),
      );
    },
  );
}

/** `POST /api/v2/agent/get-by-email`. */
function registerGetByEmail(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/api/v2/agent/get-by-email',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'One agent by email, with SIP credentials',
        body: GetByEmailBody,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const [a, tenant] = await Promise.all([
        requireAgentByEmail(ctx.db, tenantId, req.body.email),
        getTenant(ctx.db, tenantId),
      ]);
      return ok(agentSummary(a, sipPasswordOf(ctx.box, a), omicallTenantId(tenant)));
    },
  );
}

/** Reads with a bearer token: the v1 list, the v2 search and get-by-email. */
export async function registerBearerDirectoryRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerList(app, ctx);
  registerSearchV2(app, ctx);
  registerGetByEmail(app, ctx);
}

/** `POST /api/v3/agent/search` (x-api-key). */
export async function registerApiKeyDirectoryRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/api/v3/agent/search',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'Agent search (v3): filter by emails, phones, extensions; sort by a field',
        querystring: PageQuery,
        body: SearchV3Body,
        response: { 200: Envelope(Any) },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const { page, size } = req.query;
      const f = req.body.filter ?? {};
      const search: AgentSearch = {
        emails: f.emails,
        phones: f.phones,
        extensions: f.extensions,
        page,
        size,
      };
      if (req.body.sort) search.sort = { field: req.body.sort.field, isAsc: req.body.sort.isAsc ?? true };
      const { rows, total } = await searchAgents(ctx.db, tenantId, search);
      const paged = pageOf(
        rows.map((a) => directoryItem(a, 'v3')),
        page,
        size,
        total,
      );
      return ok({ ...paged, extension: null, max_size: null });
    },
  );
}
