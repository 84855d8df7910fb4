// What services and plugins count, as small interfaces (plugins/metrics.ts implements them with
// prom-client): a service is handed the part it needs, never the registry, and a test that does
// not care passes the no-op.

/** How a send ended: sent, refused by the provider, certainly not sent, or unknown (a timeout). */
export type SmsOutcome = 'sent' | 'rejected' | 'unreachable' | 'unconfirmed';

export interface SmsMetrics {
  send(outcome: SmsOutcome): void;
  /** A send refused by the cooldown or one of the SMS budgets (sms.service.ts SmsBudget). */
  refused(budget: string): void;
  /** The provider did not answer within CCP_TIMEOUT_MS. */
  gatewayTimeout(): void;
}

export const noSmsMetrics: SmsMetrics = { send() {}, refused() {}, gatewayTimeout() {} };

export type Backend = 'postgres' | 'redis' | 'sms';
