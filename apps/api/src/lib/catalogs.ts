// The API's message catalogs: it answers in any language the contracts have.
import { type Catalog, en, type Locale, negotiateLocale } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import type { FastifyRequest } from 'fastify';

export const CATALOGS: Readonly<Record<Locale, Catalog>> = { en, 'zh-CN': zhCN };

/**
 * A request's catalog. Requests that Fastify refuses before routing (a malformed URL) lack the
 * request decorators, so the header is read here too, with DEFAULT_LOCALE from the server.
 */
export function messagesOf(request: FastifyRequest): Catalog {
  return request.messages ?? catalogFor(request.headers['accept-language'], request.server.config?.defaultLocale ?? 'en');
}

/** The catalog an Accept-Language header asks for, or the configured default's. */
export function catalogFor(acceptLanguage: string | undefined, fallback: Locale): Catalog {
  return CATALOGS[negotiateLocale(acceptLanguage, fallback)];
}
