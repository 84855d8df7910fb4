// `pnpm cli <command>`: operator commands, on the database the API's configuration names
// (DATABASE_URL, or the embedded one: stop the API first, PGlite allows one process at a time).
import pino from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { loadEnvFile } from './env-file.ts';
import { createDigest } from './lib/digest.ts';
import { EVENTS_USAGE, eventsCommand, UsageError } from './modules/security-events/events.command.ts';
import { createEventsRepository } from './modules/security-events/events.repository.ts';

const USAGE = `usage: pnpm cli <command>

commands:
  events    the security event log (pnpm cli events --help)`;

loadEnvFile();
const [command, ...args] = process.argv.slice(2);
if (!command || command === '--help' || command === 'help') {
  console.log(USAGE);
  process.exit(command ? 0 : 2);
}
if (command !== 'events') {
  console.error(`unknown command "${command}"\n\n${USAGE}`);
  process.exit(2);
}
if (args.includes('--help')) {
  console.log(EVENTS_USAGE);
  process.exit(0);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(78);
}
const db = await openDatabase(config.database, pino({ level: 'warn' }));
try {
  await eventsCommand(args, {
    repository: createEventsRepository(db.prisma),
    digest: createDigest(config.codeSecret),
    config: config.events,
    now: Date.now(),
    print: (line) => console.log(line),
  });
  process.exitCode = 0;
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`${error.message}\n\n${EVENTS_USAGE}`);
  process.exitCode = 2;
} finally {
  await db.close();
}
