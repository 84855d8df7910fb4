/** 138****8000: enough to follow a number in logs and the event log, not enough to identify a person. */
export function maskMobile(mobile: string): string {
  return mobile.length === 11 ? `${mobile.slice(0, 3)}****${mobile.slice(7)}` : '***';
}

/** The number block SMS fraud cycles through: the mobile without its last 4 digits. */
export const numberBlock = (mobile: string) => mobile.slice(0, -4);
