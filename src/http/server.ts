import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { Logger } from 'pino';
import type { AppContext } from '../context.js';
import { lazyChildLogger } from '../metrics/logging.js';
import { registerSystemRoutes } from './system.js';
import { type Failure, sendFailure } from './family-errors.js';
import { addBoundsKeywords, boundSchema } from './input-bounds.js';
import { HTTP_LIMITS, MAX_PARAM_LENGTH, answerClientError, envelopeAt, installWireDefaults } from './wire.js';

export type HttpServer = FastifyInstance;

/** One route as registered (every method and path the server answers, published in /openapi.json or not). */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** `schema.hide`: left out of /openapi.json (console, probes, static files). */
  hidden: boolean;
}

const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/**
 * The server's whole route table, in registration order. The spec-coverage test compares it with /openapi.json,
 * so a family route cannot drop out of the document (and out of the fuzzing and tenancy suites generated from it).
 */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return registered.get(app) ?? [];
}

// Query strings and path params arrive as text, so they are coerced to the schema's types; JSON bodies are
// not, so `{"strategy": "1"}` where an integer is documented is refused instead of silently accepted.
// Unknown body fields are dropped rather than refused (integrators send extra fields; dropping them also keeps
// mass assignment impossible, since only declared fields ever reach a handler).
function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: true,
    allErrors: false,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  addBoundsKeywords(ajv);
  return ajv;
}

/** One route family: registered by the composition root with the shared context. */
export type FamilyPlugin = (app: FastifyInstance, ctx: AppContext) => Promise<void>;

export async function buildHttpServer(ctx: AppContext, families: FamilyPlugin[]): Promise<HttpServer> {
  const app: FastifyInstance = Fastify({
    ...HTTP_LIMITS,
    keepAliveTimeout: ctx.config.httpKeepAliveTimeoutMs,
    // The no-traffic timeout must not cut a keep-alive connection before its own timeout does.
    connectionTimeout: Math.max(HTTP_LIMITS.connectionTimeout, ctx.config.httpKeepAliveTimeoutMs + 3000),
    frameworkErrors: (err, req, reply) => {
      // A bad `%` escape, or a path parameter longer than MAX_PARAM_LENGTH: bad input in the family's shape.
      const message =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
          : 'the path has an invalid percent-encoding';
      const f: Failure = { status: 400, code: 'INVALID_INPUT', message };
      void sendFailure(reply, envelopeAt(app, req.url), f);
    },
    clientErrorHandler: (err, socket) => answerClientError(app, err, socket),
    loggerInstance: ctx.logger as FastifyBaseLogger,
    childLoggerFactory: (logger, bindings, opts) =>
      lazyChildLogger(logger as Logger, bindings, opts) as FastifyBaseLogger,
    logController: new LogController({
      disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace',
    }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: false,
  });

  const table: RegisteredRoute[] = [];
  registered.set(app, table);
  app.addHook('onRoute', (r) => {
    const hidden = (r.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of [r.method].flat()) table.push({ method, url: r.url, hidden });
  });

  const bodyAjv = makeAjv(false);
  const paramAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : paramAjv;
    return ajv.compile(boundSchema(schema) as object);
  });
  installWireDefaults(app);

  await app.register(swagger, {
    // Each operation names the scope its route requires (`x-scope`) or that it authenticates itself
    // (`x-public`) and which AntBuddy signature it checks (`x-signature`), so the document is the route table the tenancy and scope tests are generated from.
    transform: ({ schema, url, route }) => ({
      schema: schema && {
        ...schema,
        ...(route.config?.scope ? { 'x-scope': route.config.scope } : {}),
        ...(route.config?.public ? { 'x-public': true } : {}),
        ...(route.config?.antbuddyAuth ? { 'x-signature': route.config.antbuddyAuth } : {}),
      },
      url,
    }),
    openapi: {
      info: {
        title: 'tongdai Open API',
        version: '0.1.0',
        description:
          'Wire-compatible API families (AloHub, OmiCall, CCAI, AntBuddy) and the native tongdai API, over one domain.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await registerSystemRoutes(app, ctx);
  for (const family of families) await family(app, ctx);
  return app;
}
