import type { MouseEvent, ReactNode } from 'react';
import { navigate } from '../router';

/** A link that navigates without reloading (still a real link: middle-click, copy, open in new tab). */
export function Link({ href, children, className }: { readonly href: string; readonly children: ReactNode; readonly className?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} className={className} onClick={onClick}>
      {children}
    </a>
  );
}
