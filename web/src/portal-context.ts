import { createContext, useContext } from 'react';
import type { Api } from './api';
import type { Session } from './types';

/** What every signed-in page gets. */
export interface PortalContextValue {
  readonly api: Api;
  readonly session: Session;
  /** Shows a short confirmation at the top of the next page (e.g. "Cluster x is being deleted"). */
  readonly flash: (message: string) => void;
}

export const PortalContext = createContext<PortalContextValue | null>(null);

/** The signed-in portal; only under <PortalContext.Provider>. */
export function usePortal(): PortalContextValue {
  const value = useContext(PortalContext);
  if (!value) throw new Error('usePortal outside the signed-in portal');
  return value;
}
