// A button disabled while its request runs (so it cannot be sent twice) loses the focus: the
// browser moves it to the page's body, and a keyboard or screen-reader user is left nowhere when
// the answer comes. Once the request is done, the focus goes back where it was, unless the form
// has put it somewhere itself meanwhile (the field in error, the section's heading).
import { useLayoutEffect, useRef } from 'react';

export function useFocusBack(pending: boolean): void {
  const from = useRef<HTMLElement | null>(null);
  // A layout effect: it runs before the browser moves the focus off the newly disabled button.
  useLayoutEffect(() => {
    const active = document.activeElement;
    if (pending) {
      from.current = active instanceof HTMLElement && active !== document.body ? active : null;
      return;
    }
    const element = from.current;
    from.current = null;
    const lost = active === null || active === document.body;
    if (lost && element?.isConnected && !element.matches(':disabled')) element.focus();
  }, [pending]);
}
