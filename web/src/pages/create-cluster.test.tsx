import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api';
import { CreateForm } from './create-cluster';

const quotas = { max_clusters: 3, max_nodes_per_cluster: 4, clusters: 1 };
const flavors = [{ name: 'container1-4G', memory_bytes: 4 * 1024 ** 3, memory: '4 GiB', vcpus: 2, disk_gb: 20 }];

function setup(onSubmit = vi.fn(() => Promise.resolve()), q = quotas) {
  render(<CreateForm quotas={q} flavors={flavors} existingNames={['taken']} onSubmit={onSubmit} />);
  const name = screen.getByLabelText('Name');
  const nodes = screen.getByLabelText('Nodes');
  const submit = screen.getByRole('button', { name: 'Create cluster' });
  return { name, nodes, submit, onSubmit };
}

describe('create form', () => {
  it('shows the flavor with its size, the node bound and the autoscale checkbox', () => {
    setup();
    expect(screen.getByRole('radio', { name: /container1-4G — 4 GiB memory, 2 vCPU, 20 GB disk/ })).toHaveProperty('checked', true);
    expect(screen.getByText(/1 to 4 \(your quota per cluster\)/)).toBeTruthy();
    expect(screen.getByRole('checkbox', { name: 'Enable autoscale' })).toHaveProperty('checked', false);
    expect(screen.getByLabelText('Nodes').getAttribute('max')).toBe('4');
  });

  it('validates the name inline, as the API does, and sends nothing', () => {
    const { name, submit, onSubmit } = setup();
    fireEvent.change(name, { target: { value: '9lives' } });
    fireEvent.click(submit);
    expect(screen.getByText('Start the name with a letter.')).toBeTruthy();
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(name.getAttribute('aria-describedby')).toContain('create-name-error');
    expect(document.activeElement).toBe(name);
    fireEvent.change(name, { target: { value: 'has space' } });
    expect(screen.getByText(/no spaces/)).toBeTruthy();
    fireEvent.change(name, { target: { value: 'taken' } });
    expect(screen.getByText(/already have a cluster named "taken"/)).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('bounds the node count by the quota', () => {
    const { name, nodes, submit, onSubmit } = setup();
    fireEvent.change(name, { target: { value: 'web' } });
    fireEvent.change(nodes, { target: { value: '5' } });
    expect(screen.getByText('Your quota allows at most 4 nodes per cluster.')).toBeTruthy();
    fireEvent.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('sends name, nodes, autoscale and flavor', async () => {
    const { name, nodes, submit, onSubmit } = setup();
    fireEvent.change(name, { target: { value: ' web ' } });
    fireEvent.change(nodes, { target: { value: '3' } });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Enable autoscale' }));
    fireEvent.click(submit);
    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith({ name: 'web', nodes: 3, autoscale: true, flavor: 'container1-4G' }));
  });

  it('puts a server error on the field it concerns, and others above the buttons', async () => {
    const exists = vi.fn(() => Promise.reject(new ApiError(409, 'CARINA_ERR_CLUSTER_EXISTS', 'a cluster named "web" already exists')));
    const { name, submit } = setup(exists);
    fireEvent.change(name, { target: { value: 'web' } });
    fireEvent.click(submit);
    expect(await screen.findByText('You already have a cluster named "web". Pick another name.')).toBeTruthy();
    expect(name.getAttribute('aria-invalid')).toBe('true');
  });

  it('shows a quota error the server returns as an alert', async () => {
    const quota = vi.fn(() => Promise.reject(new ApiError(403, 'CARINA_ERR_QUOTA_EXCEEDED', 'cluster quota of 3 reached: delete a cluster first')));
    const { name, submit } = setup(quota);
    fireEvent.change(name, { target: { value: 'web' } });
    fireEvent.click(submit);
    expect((await screen.findByRole('alert')).textContent).toBe('Cluster quota of 3 reached: delete a cluster first.');
    expect(submit).toHaveProperty('disabled', false);
  });

  it('explains a full quota and disables creating', () => {
    const { submit } = setup(undefined, { ...quotas, clusters: 3 });
    expect(screen.getByText(/using all 3 clusters of your quota/)).toBeTruthy();
    expect(submit).toHaveProperty('disabled', true);
  });
});
