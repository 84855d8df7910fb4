import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Database, openDatabase } from '../db/database.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

export default fp(
  async function databasePlugin(app: FastifyInstance) {
    const db = await openDatabase(app.config.database, app.log);
    app.decorate('db', db);
    app.addHook('onClose', () => db.close());
  },
  { name: 'database', dependencies: ['config'] },
);
