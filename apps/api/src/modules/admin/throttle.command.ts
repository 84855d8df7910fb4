// `pnpm cli throttle clear <username|mobile|address>`: prints every budget it cleared.
import { AdminError } from './admin.service.ts';
import type { CommandIo } from './createsuperuser.command.ts';
import { IN_PROCESS_STORE } from './sessions.command.ts';
import type { createThrottleClearer } from './throttle-clear.ts';

export async function throttleClearCommand(
  target: string,
  deps: Pick<CommandIo, 'print'> & { throttle: ReturnType<typeof createThrottleClearer>; storeReachable: boolean },
): Promise<void> {
  if (!deps.storeReachable) throw new AdminError(IN_PROCESS_STORE);
  const { subject, keys } = await deps.throttle.clear(target);
  if (keys.length === 0) {
    deps.print(`Nothing to clear for ${subject}.`);
    return;
  }
  deps.print(`Cleared ${keys.length} budget key(s) for ${subject}:`);
  for (const { key, what } of keys) deps.print(`  ${what.padEnd(38)}${key}`);
}
