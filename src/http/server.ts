import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { AppContext } from '../context.js';
import { registerSystemRoutes } from './system.js';

export type HttpServer = FastifyInstance;

// Query strings and path params arrive as text, so they are coerced to the schema's types; JSON bodies are
// not, so `{"strategy": "1"}` where an integer is documented is refused instead of silently accepted.
function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/** One route family: registered by the composition root with the shared context. */
export type FamilyPlugin = (app: FastifyInstance, ctx: AppContext) => Promise<void>;

export async function buildHttpServer(ctx: AppContext, families: FamilyPlugin[]): Promise<HttpServer> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    logController: new LogController({
      disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace',
    }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: false,
  });

  const bodyAjv = makeAjv(false);
  const paramAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : paramAjv;
    return ajv.compile(schema);
  });

  await app.register(swagger, {
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
