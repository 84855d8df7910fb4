/** 13800138000 -> 138****8000: enough to recognise one's number, not to read it off a screen. */
export function maskMobile(mobile: string): string {
  return mobile.length === 11 ? `${mobile.slice(0, 3)}****${mobile.slice(7)}` : mobile;
}
