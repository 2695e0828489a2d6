import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WEB = join(ROOT, 'web');
const MODULES = join(ROOT, 'node_modules');

/** The npm files the page imports (its import map names them); nothing else under node_modules is served. */
export const VENDOR: Record<string, string> = {
  'preact.mjs': 'preact/dist/preact.mjs',
  'preact-hooks.mjs': 'preact/hooks/dist/hooks.mjs',
  'signals-core.mjs': '@preact/signals-core/dist/signals-core.mjs',
  'signals.mjs': '@preact/signals/dist/signals.mjs',
  'htm.mjs': 'htm/dist/htm.mjs',
  'uplot.mjs': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
  'socket.io.mjs': 'socket.io/client-dist/socket.io.esm.min.js',
};

/**
 * npm files the page imports that npm ships as CommonJS only: bundled once (esbuild, which tsx already brings)
 * into one ES module on first request. JsSIP (the browser phone, docs/webrtc.md) is one.
 */
export const BUNDLED: Record<string, string> = { 'jssip.mjs': 'jssip/lib/JsSIP.js' };

async function bundle(entry: string): Promise<Buffer> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [join(MODULES, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return Buffer.from(out.outputFiles[0]!.contents);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  raw: Buffer;
  gz: Buffer;
  etag: string;
  type: string;
}

/** The CSP for every console page: only our own scripts (and the one inline import map, by its hash). */
export function contentSecurityPolicy(importMapHash: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The inline import map's hash, as CSP's script-src names it. */
export function importMapHash(html: string): string {
  const m = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  return createHash('sha256')
    .update(m?.[1] ?? '')
    .digest('base64');
}

/**
 * Serves the console: `/` (index.html), `/app/*` (web/), `/vendor/*` (the npm modules named above). Files are
 * read once and kept with a gzip copy; a path outside web/ is never served.
 */
export async function registerConsoleStatic(app: FastifyInstance): Promise<void> {
  const cache = new Map<string, Asset>();
  const load = async (file: string): Promise<Asset> => {
    let a = cache.get(file);
    if (!a) {
      const bundled = file.startsWith('bundle:') ? file.slice('bundle:'.length) : null;
      const raw = bundled ? await bundle(bundled) : await readFile(file);
      a = {
        raw,
        gz: gzipSync(raw, { level: 9 }),
        etag: `"${createHash('sha1').update(raw).digest('base64url')}"`,
        type: bundled ? TYPES['.mjs']! : (TYPES[extname(file)] ?? 'application/octet-stream'),
      };
      cache.set(file, a);
    }
    return a;
  };
  const html = (await readFile(join(WEB, 'index.html'), 'utf8')).toString();
  const csp = contentSecurityPolicy(importMapHash(html));

  const send = async (req: FastifyRequest, reply: FastifyReply, file: string, cache: string) => {
    let a: Asset;
    try {
      a = await load(file);
    } catch {
      return reply.code(404).type('text/plain').send('not found');
    }
    reply.headers({
      ...SECURITY_HEADERS,
      'Content-Security-Policy': csp,
      'Cache-Control': cache,
      ETag: a.etag,
    });
    reply.header('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    reply.type(a.type);
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      reply.header('Content-Encoding', 'gzip');
      return reply.send(a.gz);
    }
    return reply.send(a.raw);
  };

  app.get('/', { schema: { hide: true } }, (req, reply) =>
    send(req, reply, join(WEB, 'index.html'), 'no-cache'),
  );
  app.get('/app/*', { schema: { hide: true } }, (req, reply) => {
    const rel = normalize((req.params as { '*': string })['*']);
    const file = join(WEB, rel);
    if (rel.startsWith('..') || !file.startsWith(WEB + sep)) return reply.code(404).send('not found');
    return send(req, reply, file, 'no-cache');
  });
  app.get('/vendor/:file', { schema: { hide: true } }, (req, reply) => {
    const name = (req.params as { file: string }).file;
    const entry = Object.hasOwn(BUNDLED, name) ? BUNDLED[name] : undefined;
    if (entry) return send(req, reply, `bundle:${entry}`, 'public, max-age=86400');
    const rel = Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined;
    if (!rel) return reply.code(404).type('text/plain').send('not found');
    return send(req, reply, join(MODULES, rel), 'public, max-age=86400');
  });
}
