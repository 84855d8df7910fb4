// Every page's frame: document.title, the one <h1>, and focus on that heading after an in-app
// navigation, so screen-reader and keyboard users start at the top of the new page (as they
// would after a full page load) instead of on a link that no longer exists.
import { type ReactNode, useEffect, useRef } from 'react';
import { useLanguage } from '../i18n/locale';
import { hasNavigated } from './router';

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

  useEffect(() => {
    document.title = ui.pageTitle(title);
  }, [title, ui]);

  useEffect(() => {
    if (hasNavigated()) headingRef.current?.focus({ preventScroll: true });
  }, []);

  return (
    <section className="card" aria-labelledby="page-heading">
      <h1 id="page-heading" ref={headingRef} tabIndex={-1}>
        {heading}
      </h1>
      {intro ? <p className="intro">{intro}</p> : null}
      {children}
    </section>
  );
}
