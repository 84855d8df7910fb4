// Every page's frame: document.title, the one <h1>, and focus on that heading after an in-app
// navigation, so screen-reader and keyboard users start at the top of the new page (as they
// would after a full page load) instead of on a link that no longer exists.
import { type ReactNode, useEffect, useRef } from 'react';
import { useLanguage } from '../i18n/locale';
import { hasNavigated } from './router';
import { SESSION_NOTICE_ID, useSessionNotice } from './session';

/** The page's <h1>: the place to put the focus back when what had it goes away. */
export const PAGE_HEADING_ID = 'page-heading';

interface PageProps {
  title: string;
  /** The <h1>; defaults to the title. */
  heading?: ReactNode;
  intro?: ReactNode;
  children: ReactNode;
}

export function Page({ title, heading = title, intro, children }: PageProps) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const { ui } = useLanguage();
  const notice = useSessionNotice();

  useEffect(() => {
    document.title = ui.pageTitle(title);
  }, [title, ui]);

  useEffect(() => {
    if (hasNavigated()) headingRef.current?.focus({ preventScroll: true });
  }, []);

  return (
    <section className="card" aria-labelledby={PAGE_HEADING_ID}>
      <h1 id={PAGE_HEADING_ID} ref={headingRef} tabIndex={-1} aria-describedby={notice ? SESSION_NOTICE_ID : undefined}>
        {heading}
      </h1>
      {intro ? <p className="intro">{intro}</p> : null}
      {children}
    </section>
  );
}
