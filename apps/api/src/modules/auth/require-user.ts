// "Who is logged in here?" for every route that trusts a session: the one place that resolves a
// session's user (auth.service.ts currentAccount), deletes a session that no longer stands, and
// refreshes the session's last-seen time (shown in the sessions list) at most every
// SESSION_TOUCH_SECONDS, so a busy page does not write the store at each request.
import { Code } from '@register/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { within } from '../../lib/deadline.ts';
import { saveSession } from '../../plugins/session.ts';
import type { UserRecord } from '../users/users.repository.ts';
import type { AuthService } from './auth.service.ts';

/**
 * The session's user (the whole record: the password hash too, for the account page's checks),
 * or null when nobody is logged in or the session no longer stands: the account is gone or
 * deactivated, its password changed, its sessions were ended. Such a session is deleted with its
 * cookie, best effort: it is refused at every request anyway. A store or database failure throws
 * (a 503), never "nobody".
 */
export async function sessionAccount(
  request: FastifyRequest,
  reply: FastifyReply,
  auth: Pick<AuthService, 'currentAccount'>,
  cookieName: string,
): Promise<UserRecord | null> {
  const { userId, loginAt, credential } = request.session;
  if (userId === undefined) return null;
  const user = await auth.currentAccount(userId, { loginAt, credential });
  if (!user) {
    await request.session
      .destroy()
      .catch((err: unknown) => request.log.warn({ err }, 'could not delete a session that no longer stands'));
    reply.clearCookie(cookieName, { path: '/' });
    return null;
  }
  await touchSession(request);
  return user;
}

/**
 * The logged-in user of the request, or 401 SESSIONERR. For routes that need one:
 * `const user = await requireUser(request, reply, auth, cookieName)`.
 */
export async function requireUser(
  request: FastifyRequest,
  reply: FastifyReply,
  auth: Pick<AuthService, 'currentAccount'>,
  cookieName: string,
): Promise<UserRecord> {
  const user = await sessionAccount(request, reply, auth, cookieName);
  if (!user) throw new AppError(Code.SESSIONERR);
  return user;
}

/**
 * Records that the session was seen now, when it was last recorded SESSION_TOUCH_SECONDS ago or
 * more. Best effort and bounded (one store step): a failed touch is logged and undone in the
 * session, so onSend does not try again and turn the answer into an error.
 */
async function touchSession(request: FastifyRequest): Promise<void> {
  const { clock, config } = request.server;
  const now = clock();
  const session = request.session;
  const seen = session.lastSeenAt ?? session.loginAt ?? 0;
  if (now - seen < config.session.touchSeconds * 1000) return;
  const before = session.lastSeenAt;
  session.lastSeenAt = now;
  try {
    await within(config.storeStepMs, saveSession(request));
  } catch (err) {
    request.log.warn({ err }, 'could not record when a session was last seen');
    session.lastSeenAt = before;
  }
}
