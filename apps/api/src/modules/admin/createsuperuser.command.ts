// `pnpm cli createsuperuser`: an account with is_staff and is_superuser, as Django's command
// makes one. Interactive: asks for each field until it passes registration's rules, the password
// twice; a password those rules refuse is shown with its problems and taken only when the
// operator says to bypass them (never one the login route could not take: too short or too
// long). `--noinput`: for scripts, the fields from the options and the password from
// SUPERUSER_PASSWORD; any problem is a one-line error and exit code 1.
import type { Config } from '../../config.ts';
import { UsageError } from '../security-events/events.command.ts';
import { passwordLengthProblem, passwordProblems } from './account-checks.ts';
import { AdminError, type AdminService } from './admin.service.ts';
import type { Prompter } from './prompter.ts';

export interface CreateSuperuserOptions {
  noinput?: boolean;
  username?: string;
  mobile?: string;
  email?: string;
  bypassPasswordValidation?: boolean;
}

export const BYPASS_QUESTION = 'Bypass password validation and create user anyway?';

export interface CommandIo {
  /** The command's result, on stdout. */
  print(line: string): void;
  /** A problem the operator is asked to fix, on stderr. */
  warn(line: string): void;
}

export async function createSuperuserCommand(
  options: CreateSuperuserOptions,
  deps: CommandIo & { admin: AdminService; prompter: () => Prompter; config: Config['admin'] },
): Promise<void> {
  const { admin } = deps;
  const user = options.noinput ? await fromOptions(options, deps) : await interactively(options, deps);
  const created = await admin.createSuperuser(user);
  deps.print(`Superuser created successfully: ${created.username} (id ${created.id}).`);
}

async function fromOptions(options: CreateSuperuserOptions, deps: Parameters<typeof createSuperuserCommand>[1]) {
  for (const name of ['username', 'mobile'] as const) {
    if (options[name] === undefined) throw new UsageError(`--noinput needs --${name}`);
  }
  const field = async (name: 'username' | 'mobile' | 'email', raw: string) => {
    try {
      return await deps.admin.checkNew(name, raw);
    } catch (error) {
      if (error instanceof AdminError) throw new AdminError(`--${name}: ${error.message}`);
      throw error;
    }
  };
  const username = await field('username', options.username ?? '');
  const mobile = await field('mobile', options.mobile ?? '');
  const email = await field('email', options.email ?? '');
  const password = deps.config.superuserPassword;
  if (password === undefined) throw new AdminError('SUPERUSER_PASSWORD is not set: with --noinput the password is read from it.');
  const length = passwordLengthProblem(password);
  if (length) throw new AdminError(`SUPERUSER_PASSWORD: ${length}`);
  const problems = passwordProblems(password, { username, mobile });
  if (problems.length && !options.bypassPasswordValidation) {
    throw new AdminError(`SUPERUSER_PASSWORD: ${problems.join(' ')} (--bypass-password-validation takes it anyway)`);
  }
  return { username, mobile, email, password };
}

async function interactively(options: CreateSuperuserOptions, deps: Parameters<typeof createSuperuserCommand>[1]) {
  const prompter = deps.prompter();
  try {
    /** Asks until the answer passes (an option's value is tried first, as Django does). */
    const field = async (name: 'username' | 'mobile' | 'email', question: string, given: string | undefined) => {
      let raw = given;
      for (;;) {
        raw ??= await prompter.text(question);
        try {
          return await deps.admin.checkNew(name, raw);
        } catch (error) {
          if (!(error instanceof AdminError)) throw error;
          deps.warn(`Error: ${error.message}`);
          raw = undefined;
        }
      }
    };
    const username = await field('username', 'Username', options.username);
    const mobile = await field('mobile', 'Mobile', options.mobile);
    const email = await field('email', 'Email address (optional)', options.email);
    for (;;) {
      const password = await prompter.secret('Password');
      const again = await prompter.secret('Password (again)');
      if (password !== again) {
        deps.warn("Error: Your passwords didn't match.");
        continue;
      }
      if (password === '') {
        deps.warn("Error: Blank passwords aren't allowed.");
        continue;
      }
      const length = passwordLengthProblem(password);
      if (length) {
        deps.warn(`Error: ${length}`);
        continue;
      }
      const problems = passwordProblems(password, { username, mobile });
      if (problems.length) {
        for (const problem of problems) deps.warn(problem);
        if (!(await prompter.confirm(BYPASS_QUESTION))) continue;
      }
      return { username, mobile, email, password };
    }
  } finally {
    prompter.close();
  }
}
