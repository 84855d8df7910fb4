// `pnpm cli <command>`: operator commands, on the database and store the API's configuration
// names (DATABASE_URL, or the embedded one: PGlite allows one process at a time, so a command
// refuses while the API has it open; REDIS_URL for sessions and budgets). Exit codes: 0 done,
// 1 a problem (a taken name, an unknown user, a backend down), 2 a usage error, 78 a bad
// configuration.
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from './config.ts';
import { EmbeddedDatabaseBusy } from './db/embedded-lock.ts';
import { loadEnvFile } from './env-file.ts';
import { AppError } from './errors.ts';
import { createDigest } from './lib/digest.ts';
import { type AdminContext, openAdminContext } from './modules/admin/admin.context.ts';
import { AdminError } from './modules/admin/admin.service.ts';
import { changePasswordCommand } from './modules/admin/changepassword.command.ts';
import { createSuperuserCommand } from './modules/admin/createsuperuser.command.ts';
import { activateCommand, deactivateCommand } from './modules/admin/deactivate.command.ts';
import { createPrompter, PromptClosed } from './modules/admin/prompter.ts';
import { endSessionsCommand } from './modules/admin/sessions.command.ts';
import { throttleClearCommand } from './modules/admin/throttle.command.ts';
import { usersCommand } from './modules/admin/users.command.ts';
import { EVENTS_USAGE, eventsCommand, UsageError } from './modules/security-events/events.command.ts';
import { createEventsRepository } from './modules/security-events/events.repository.ts';

const io = {
  print: (line: string) => console.log(line),
  warn: (line: string) => console.error(line),
};
const prompter = () => createPrompter(process.stdin, process.stdout);

/** Runs one command on the configured backends, and turns what can go wrong into its exit code. */
async function run(
  needsStore: boolean,
  command: (context: AdminContext, config: ReturnType<typeof loadConfig>) => Promise<void>,
) {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 78;
    return;
  }
  let context: AdminContext;
  try {
    context = await openAdminContext(config, { store: needsStore });
  } catch (error) {
    // The API (or another command) has the embedded database open: writing beside it would be lost.
    if (!(error instanceof EmbeddedDatabaseBusy)) throw error;
    console.error(`Error: ${error.message}`);
    process.exitCode = 1;
    return;
  }
  try {
    await command(context, config);
    process.exitCode = 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof AdminError || error instanceof PromptClosed || error instanceof AppError) {
      // AppError: the database or Redis failing (DBERR, 503), in its one-line message.
      console.error(`Error: ${error.message}`);
      process.exitCode = 1;
    } else throw error;
  } finally {
    await context.close();
  }
}

const program = new Command('pnpm cli')
  .description('Operator commands, on the database and store the API is configured with.')
  .enablePositionalOptions()
  .exitOverride()
  .showHelpAfterError();

program
  .command('createsuperuser')
  .description('create a staff superuser (asks for each field; --noinput reads SUPERUSER_PASSWORD)')
  .option('--noinput', 'ask nothing: fields from the options, the password from SUPERUSER_PASSWORD')
  .option('--username <username>', 'username (5-20 letters, digits or underscores)')
  .option('--mobile <mobile>', 'mobile number (required, as REQUIRED_FIELDS)')
  .option('--email <email>', 'email address (optional)')
  .option('--bypass-password-validation', 'with --noinput: take a password the validators refuse')
  .action((options) =>
    run(false, (context, config) =>
      createSuperuserCommand(options, { ...io, admin: context.admin, prompter, config: config.admin }),
    ),
  );

program
  .command('changepassword')
  .description("change a user's password (asked twice) and end their sessions")
  .argument('<username>')
  .action((username: string) =>
    run(true, (context) =>
      changePasswordCommand(username, { ...io, admin: context.admin, prompter, sessionsReachable: context.storeReachable }),
    ),
  );

program
  .command('users')
  .description('list users, newest first')
  .option('--staff', 'staff only')
  .option('--superuser', 'superusers only')
  .option('--active', 'active users only')
  .option('--inactive', 'inactive users only')
  .option('--since <when>', 'joined since: 24h, 7d, 30m or a date')
  .option('--limit <n>', 'at most this many (default 100)')
  .action((options) => run(false, (context) => usersCommand(options, { ...io, admin: context.admin, now: Date.now() })));

program
  .command('deactivate')
  .description('deactivate a user: login refuses them (as a wrong password) and their sessions end')
  .argument('<username>')
  .action((username: string) =>
    run(true, (context) =>
      deactivateCommand(username, { ...io, admin: context.admin, sessionsReachable: context.storeReachable }),
    ),
  );

program
  .command('activate')
  .description('let a deactivated user log in again')
  .argument('<username>')
  .action((username: string) => run(false, (context) => activateCommand(username, { ...io, admin: context.admin })));

program
  .command('sessions')
  .description("a user's sessions")
  .command('end')
  .description('end every session of a user (logged out everywhere)')
  .argument('<username>')
  .action((username: string) =>
    run(true, (context) =>
      endSessionsCommand(username, { ...io, admin: context.admin, sessionsReachable: context.storeReachable }),
    ),
  );

program
  .command('throttle')
  .description('login and SMS budgets')
  .command('clear')
  .description('clear the login throttle and SMS budgets of a username, a mobile or an IP address')
  .argument('<target>', 'username, mobile number or IP address')
  .action((target: string) =>
    run(true, (context) =>
      throttleClearCommand(target, { ...io, throttle: context.throttle, storeReachable: context.storeReachable }),
    ),
  );

program
  .command('events')
  .description('the security event log (pnpm cli events --help)')
  .helpOption(false)
  .passThroughOptions()
  .allowUnknownOption()
  .argument('[args...]')
  .action((args: string[]) => {
    if (args.includes('--help')) {
      console.log(EVENTS_USAGE);
      return;
    }
    return run(false, async (context, config) => {
      try {
        await eventsCommand(args, {
          repository: createEventsRepository(context.db.prisma),
          digest: createDigest(config.codeSecret),
          config: config.events,
          now: Date.now(),
          print: io.print,
        });
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(`${error.message}\n\n${EVENTS_USAGE}`);
        throw error;
      }
    });
  });

loadEnvFile();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Commander has written its message (or the help); --help is a success, anything else a usage error.
  process.exitCode = error.exitCode === 0 ? 0 : 2;
}
