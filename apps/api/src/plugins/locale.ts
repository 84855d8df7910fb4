// `request.messages`: the catalog of the language the request asks for (Accept-Language, else
// DEFAULT_LOCALE). A getter, so the header is read only by answers that say something.
import type { Catalog } from '@register/contracts';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { catalogFor } from '../lib/catalogs.ts';

declare module 'fastify' {
  interface FastifyRequest {
    readonly messages: Catalog;
  }
}

export default fp(
  async (app) => {
    const fallback = app.config.defaultLocale;
    app.decorateRequest('messages', {
      getter(this: FastifyRequest) {
        return catalogFor(this.headers['accept-language'], fallback);
      },
    });
  },
  { name: 'locale', dependencies: ['config'] },
);
