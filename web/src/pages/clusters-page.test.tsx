import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api';
import { cluster } from '../test-support';
import { ClustersView } from './clusters-page';

const quotas = { max_clusters: 3, max_nodes_per_cluster: 5, clusters: 2 };

describe('clusters list states', () => {
  it('says it is loading', () => {
    render(<ClustersView clusters={undefined} quotas={undefined} error={undefined} onRetry={() => undefined} />);
    expect(screen.getByRole('status').textContent).toContain('Loading your clusters');
  });

  it('shows an empty state that says what to do', () => {
    render(<ClustersView clusters={[]} quotas={{ ...quotas, clusters: 0 }} error={undefined} onRetry={() => undefined} />);
    expect(screen.getByRole('heading', { name: 'No clusters yet' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Create your first cluster' }).getAttribute('href')).toBe('/new');
    expect(screen.getByText(/0 of 3 clusters/)).toBeTruthy();
  });

  it('shows an error with the reason and a retry', () => {
    const retry = vi.fn();
    render(<ClustersView clusters={undefined} quotas={undefined} error={new ApiError(0, 'NETWORK', 'cannot reach the Carina server')} onRetry={retry} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Your clusters could not be loaded.');
    expect(alert.textContent).toContain('Cannot reach the Carina server.');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(retry).toHaveBeenCalled();
  });

  it('lists name, flavor, Ready / wanted, autoscale, status and age, with quota usage', () => {
    const rows = [
      cluster({ name: 'web', nodes: 2, nodes_ready: 1, status: 'growing', autoscale: true }),
      cluster({ id: 'x2', name: 'db', status: 'error', status_reason: 'engine of node 1 did not answer; rebuild the cluster to retry, or delete it' }),
    ];
    render(<ClustersView clusters={rows} quotas={quotas} error={undefined} onRetry={() => undefined} />);
    expect(screen.getByText(/2 of 3 clusters/)).toBeTruthy();
    const web = screen.getByRole('row', { name: /web/ });
    expect(within(web).getByRole('link', { name: 'web' }).getAttribute('href')).toBe('/clusters/web');
    expect(web.textContent).toContain('container1-4G');
    expect(web.textContent).toContain('1 / 2 Ready');
    expect(web.textContent).toContain('On');
    expect(web.textContent).toContain('Adding nodes');
    expect(web.textContent).toContain('5 min');
    const db = screen.getByRole('row', { name: /db/ });
    expect(db.textContent).toContain('Error');
    expect(db.textContent).toContain('rebuild the cluster to retry');
  });

  it('keeps the list when a refresh fails, and says it may be stale', () => {
    render(<ClustersView clusters={[cluster()]} quotas={quotas} error={new ApiError(0, 'NETWORK', 'cannot reach the Carina server')} onRetry={() => undefined} />);
    expect(screen.getByRole('alert').textContent).toContain('may be out of date');
    expect(screen.getByRole('row', { name: /web/ })).toBeTruthy();
  });

  it('explains a full quota instead of offering Create', () => {
    render(<ClustersView clusters={[cluster()]} quotas={{ ...quotas, clusters: 3 }} error={undefined} onRetry={() => undefined} />);
    expect(screen.queryByRole('link', { name: 'Create cluster' })).toBeNull();
    expect(screen.getByText(/using all 3 clusters of your quota/)).toBeTruthy();
  });
});
