// `pnpm db:migrate` on a server where the database does not exist yet creates it, as a person
// setting up would: one CREATE DATABASE through the server's maintenance database.
import pg from 'pg';

/** Creates the database DATABASE_URL names when the server says it does not exist; true if it did. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // invalid_catalog_name
  } finally {
    await probe.end().catch(() => {});
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return true;
  } catch (error) {
    // Another process (a second replica's migration) created it first: there it is.
    // duplicate_database, or the catalog's unique index when both got past the check at once.
    const code = (error as { code?: string }).code;
    if (code === '42P04' || code === '23505') return false;
    throw error;
  } finally {
    await admin.end().catch(() => {});
  }
}
