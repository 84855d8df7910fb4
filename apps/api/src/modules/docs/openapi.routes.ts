// GET /api/openapi.json (the OpenAPI document, plugins/openapi.ts) and, when API_DOCS_ENABLED
// (the default outside production), the API reference UI at /api/docs (Scalar). Scalar's
// script is bundled in its npm package and served by this API itself (/api/docs/js/scalar.js):
// no CDN, so it works offline and needs no foreign origin in its policy.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The docs page is HTML that runs a script, unlike every other answer (JSON, PNG), so it gets
 * a policy of its own, for its routes only: scripts from this origin plus the page's one inline
 * script by its hash, styles inline (Scalar injects its stylesheet at run time), requests to
 * this origin only (the "try it" client), and still no framing, no base, no forms.
 */
function docsPolicy(scriptHashes: string[]): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${scriptHashes.map((h) => `'sha256-${h}'`).join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

export const openapiRoutes: FastifyPluginAsync<{ mountedAt: string; withDocs: boolean }> = async (
  app,
  { mountedAt, withDocs },
) => {
  app.route({
    method: 'GET',
    url: '/openapi.json',
    schema: { hide: true },
    handler: async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()),
  });
  if (!withDocs) return;
  // Imported only when the docs are served: the package holds Scalar's 10 MB bundle as a string,
  // which V8 keeps twice (the module's source and the literal), 20 MB of every worker's heap.
  const { default: scalar } = await import('@scalar/fastify-api-reference');

  await app.register(async (docs) => {
    docs.addHook('onSend', (_request, reply, payload, done) => {
      const type = String(reply.getHeader('content-type') ?? '');
      if (type.startsWith('text/html') && typeof payload === 'string') {
        const hashes = [...payload.matchAll(INLINE_SCRIPT)].map((m) =>
          createHash('sha256')
            .update(m[1] ?? '')
            .digest('base64'),
        );
        reply.header('content-security-policy', docsPolicy(hashes));
      } else if (type.startsWith('application/javascript')) {
        // Scalar's bundle (5 MB) is the same until the package changes.
        reply.header('cache-control', 'public, max-age=3600');
      }
      done(null, payload);
    });
    await docs.register(scalar, {
      routePrefix: '/docs',
      logLevel: 'warn',
      configuration: {
        url: `${mountedAt}/openapi.json`,
        pageTitle: 'Register API reference',
        // Scalar's fonts come from its CDN: the system's fonts instead.
        withDefaultFonts: false,
        // Its toolbar (share, deploy) and AI agent talk to scalar.com: off.
        showDeveloperTools: 'never',
        agent: { disabled: true },
      },
    });
  });
};
